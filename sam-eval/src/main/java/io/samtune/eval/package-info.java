/**
 * Scoring of SAM checkpoints by Dice on brain tumour slices, with reports. Builds on
 * {@code io.samtune.core} and {@code io.samtune.data}.
 */
package io.samtune.eval;
