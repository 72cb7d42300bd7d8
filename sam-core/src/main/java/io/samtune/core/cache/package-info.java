/**
 * The on-disk {@link io.samtune.core.cache.EmbeddingCache}: SAM's image encoder is frozen during
 * fine-tuning, so each slice is encoded once per encoder and preprocessing and read back in every
 * epoch and every evaluation. Next: the training module {@code io.samtune.train}.
 */
package io.samtune.core.cache;
