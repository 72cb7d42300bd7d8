/**
 * Segment Anything on DJL's PyTorch engine. {@link io.samtune.core.Engines} starts the engine
 * offline and picks the device. Next: the training module {@code io.samtune.train}.
 */
package io.samtune.core;
