/**
 * Scoring SAM checkpoints by Dice on brain tumour slices: {@link io.samtune.eval.DiceScorer}
 * segments each slice and compares it with its tumour mask ({@link io.samtune.eval.SliceScore});
 * {@link io.samtune.eval.CheckpointScores} summarises one checkpoint (mean, std, global Dice, per
 * tumour type); {@link io.samtune.eval.DiceReport} compares checkpoints and writes the table, JSON,
 * CSV and pictures. The {@code samtune test-accuracy} command
 * (in sam-cli) calls them. Builds on {@code io.samtune.core} and {@code io.samtune.data}.
 */
package io.samtune.eval;
