/**
 * The settings every job shares, by concern, each an immutable record with a builder and JSON both
 * ways: {@link io.samtune.core.config.DataConfig} (which slices, how they are split, prompted and
 * windowed) and {@link io.samtune.core.config.ModelConfig} (which checkpoint, sizes, device and
 * embedding cache). Training adds its own concerns in {@code io.samtune.train}; scoring reads the
 * same two records, so a run's {@code run.json} tells {@code test-accuracy} exactly what it trained on.
 */
package io.samtune.core.config;
