package io.samtune.train;

import java.util.Objects;

/**
 * Data parallelism across processes: each step, every worker's share of the gradients, loss and
 * sample count are summed over all workers as float32 (in a fixed worker order, so every worker gets
 * the same bits) and written back in place; every worker then makes the same update. Each worker
 * computes its {@link #shareOf share} of every call, so the sum is the gradient of the whole global
 * batch. Rank 0 writes the run.
 */
public final class AllReduceGradients implements TrainingStrategy {

    /** Sums a float32 vector over every worker for one round (the same round number on every worker). */
    @FunctionalInterface
    public interface Sum {
        /**
         * @throws WorkerLostException if a worker left or did not send in time
         */
        float[] sum(long round, float[] values);
    }

    /** Values sent after the gradients: the loss, the samples, the step (mod 2^16) and a count of workers. */
    private static final int EXTRA = 4;
    /** Steps are checked modulo this, so that their sum over the workers stays exact in float32. */
    private static final int STEP_MODULUS = 1 << 16;

    private final Sum sum;
    private final int rank;
    private final int worldSize;

    /**
     * @param sum the all-reduce over the workers
     * @param rank this worker, 0 .. worldSize - 1 (its share of every call)
     * @param worldSize the number of workers (checked against the summed count every step)
     */
    public AllReduceGradients(Sum sum, int rank, int worldSize) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank must be 0.." + (worldSize - 1) + " of world size " + worldSize
                    + ", got rank " + rank);
        }
        this.sum = Objects.requireNonNull(sum, "sum");
        this.rank = rank;
        this.worldSize = worldSize;
    }

    @Override
    public boolean isGlobalZero() {
        return rank == 0;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    @Override
    public Step reduce(TrainableParameters parameters, Step local, TrainingView run) {
        float[] v = parameters.flattenGradients(EXTRA);
        int at = v.length - EXTRA;
        long stepMark = run.step() % STEP_MODULUS;
        v[at] = (float) local.loss();
        v[at + 1] = local.samples();
        v[at + 2] = stepMark;
        v[at + 3] = 1; // counts the workers
        float[] s = sum.sum(run.step(), v);
        if (s[at + 3] != worldSize || s[at + 2] != (float) (stepMark * worldSize)) {
            throw new WorkerLostException(String.format(java.util.Locale.ROOT, "the workers are not in step: %.0f of %d"
                    + " took part in step %d; restart every worker with --resume from the same checkpoint", s[at + 3],
                    worldSize, run.step()));
        }
        parameters.overwriteGradients(s);
        return new Step(s[at], Math.round(s[at + 1]));
    }

    @Override
    public String toString() {
        return "AllReduceGradients[rank " + rank + " of " + worldSize + "]";
    }

}
