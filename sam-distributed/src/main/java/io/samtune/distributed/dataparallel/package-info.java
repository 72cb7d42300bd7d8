/**
 * Data-parallel training across worker processes on the cluster layer: {@link
 * io.samtune.distributed.dataparallel.DataParallel} (workers meet, share every batch, sum gradients with
 * the cluster's all-reduce) and {@link io.samtune.distributed.dataparallel.ParallelStepBenchmark} (the
 * time of a step and of its all-reduce).
 */
package io.samtune.distributed.dataparallel;
