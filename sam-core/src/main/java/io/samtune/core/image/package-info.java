/**
 * Images on their way into and out of SAM: {@link io.samtune.core.image.RgbImage} (8-bit RGB),
 * {@link io.samtune.core.image.IntensityWindow} (int16 MRI to 8 bits), {@link
 * io.samtune.core.image.ImagePreprocessor} (SAM's ResizeLongestSide with Pillow's exact bilinear
 * filter, normalisation, padding; coordinates to the model frame) and {@link
 * io.samtune.core.image.MaskPostprocessor} (low-res logits back to the image size). Next: {@link
 * io.samtune.core.SamPredictor}.
 */
package io.samtune.core.image;
