/**
 * Reads the figshare brain tumour MRI dataset into typed values.
 *
 * <p>{@link io.samtune.data.MatSliceReader} decodes one {@code .mat} slice file (MATLAB v7.3 or v5)
 * into a {@link io.samtune.data.BrainTumorSlice}; {@link io.samtune.data.SliceIndex} lists a whole
 * folder lazily; {@link io.samtune.data.BoxPrompt} and {@link io.samtune.data.PointPrompt} derive
 * SAM prompts from a tumour mask; {@link io.samtune.data.SplitSpec} splits slices by patient.
 *
 * <p>Conventions everywhere: pixel coordinates are 0-based, {@code x} is the column and {@code y}
 * the row; images and masks are stored row-major, {@code index = y * width + x}. Next: the model in
 * {@code io.samtune.core}.
 */
package io.samtune.data;
