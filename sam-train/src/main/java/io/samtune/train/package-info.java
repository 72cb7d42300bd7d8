/**
 * Fine-tuning of SAM's mask decoder on brain tumour slices (embedding cache, Dice loss, resumable
 * training). Builds on {@code io.samtune.core} and {@code io.samtune.data}.
 */
package io.samtune.train;
