/**
 * Reading and writing SAM weights without Python: {@link io.samtune.core.checkpoint.SamCheckpoint}
 * loads {@code torch.save} zip files through an allow-listed unpickler (nothing in the file is
 * executed) and safetensors files into a {@link io.samtune.core.checkpoint.StateDict} keyed by
 * SAM's parameter names; {@link io.samtune.core.checkpoint.Safetensors} writes them back. Next:
 * {@link io.samtune.core.SamConfig}, which can be inferred from a state dict's shapes.
 */
package io.samtune.core.checkpoint;
