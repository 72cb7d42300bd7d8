/**
 * Hyperparameter sweeps over training settings. So far: {@link io.samtune.sweep.SweepSpec}, the
 * {@code sweep.json} of a sweep (base settings, search space, samples, seed, metric, scheduler), and
 * its deterministic list of {@link io.samtune.sweep.Trial}s, each an ordinary {@link
 * io.samtune.train.TrainingConfig}.
 */
package io.samtune.sweep;
