/**
 * Fine-tuning of SAM's mask decoder with the image and prompt encoders frozen.
 *
 * <p>Settings by concern: {@link io.samtune.train.OptimizationConfig} (loss, optimizer, batch),
 * {@link io.samtune.train.ScheduleConfig} (length, learning-rate schedule), {@link
 * io.samtune.train.RunConfig} (training seed, checkpoints, selection) and, from {@code
 * io.samtune.core.config}, the data and model settings; {@link io.samtune.train.TrainingConfig}
 * holds them all, JSON both ways.
 *
 * <p>{@link io.samtune.train.DecoderTrainer} runs the loop: {@link io.samtune.train.TrainingData}
 * yields cached image embeddings with their masks and prompts, {@link io.samtune.train.DiceLoss}
 * scores the post-processed logits, gradients reach the {@link io.samtune.train.TrainableParameters}
 * group, the {@link io.samtune.train.TrainingStrategy} combines them with other processes' (the one
 * seam for everything distributed), an {@link io.samtune.train.Optimizer} ({@link
 * io.samtune.train.Adam}) updates the weights, the strategy acts after the update, and {@link
 * io.samtune.train.TrainingListener}s observe a read-only {@link io.samtune.train.TrainingView}:
 * {@code Checkpoints} into a {@link io.samtune.train.RunDirectory}, {@code Validation} with the choice of the best decoder, the {@link
 * io.samtune.train.DivergenceGuard} and the metrics log. {@link io.samtune.train.FineTuning} is a
 * whole run from its settings, writing its {@link io.samtune.train.Provenance} to {@code run.json};
 * the {@code samtune train} command (in sam-cli) calls it. Scoring lives in {@code io.samtune.eval}.
 */
package io.samtune.train;
