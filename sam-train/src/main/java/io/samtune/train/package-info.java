/**
 * Fine-tuning of SAM's mask decoder with the image and prompt encoders frozen.
 *
 * <p>{@link io.samtune.train.DecoderTrainer} runs the loop (configured by {@link
 * io.samtune.train.TrainingConfig}): {@link io.samtune.train.TrainingData} yields cached image
 * embeddings with their masks and prompts, {@link io.samtune.train.DiceLoss} scores the
 * post-processed logits, {@link io.samtune.train.AdamOptimizer} updates the decoder, and
 * {@link io.samtune.train.TrainingListener}s log, checkpoint ({@link io.samtune.train.RunDirectory})
 * and stop on divergence. The {@code samtune train} command (in sam-cli) calls it.
 * Scoring lives in {@code io.samtune.eval}.
 */
package io.samtune.train;
