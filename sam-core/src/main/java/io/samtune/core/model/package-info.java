/**
 * SAM's networks as plain functions of their weights on DJL NDArrays: {@link
 * io.samtune.core.model.ImageEncoder} (ViT with windowed and global attention and decomposed
 * relative positions), {@link io.samtune.core.model.PromptEncoder} and {@link
 * io.samtune.core.model.MaskDecoder} (two-way transformer). Each reads its tensors from a {@link
 * io.samtune.core.checkpoint.StateDict} by SAM's own parameter names, so numbers match the PyTorch
 * implementation operation for operation. Next: {@link io.samtune.core.SamModel}, which puts them
 * together.
 */
package io.samtune.core.model;
