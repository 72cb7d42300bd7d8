package io.samtune.train;

import java.util.Objects;

/**
 * Data parallelism across processes: each step, every worker's share of the gradients, loss and
 * sample count are summed over all workers as float32 (in a fixed worker order, so every worker gets
 * the same bits) and written back in place; every worker then makes the same update. With
 * {@link DecoderTrainer#setShard} the sum is the gradient of the whole global batch.
 */
public final class AllReduceGradients implements GradientReducer {

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
    private final int worldSize;

    /**
     * @param sum the all-reduce over the workers
     * @param worldSize the number of workers (checked against the summed count every step)
     */
    public AllReduceGradients(Sum sum, int worldSize) {
        this.sum = Objects.requireNonNull(sum, "sum");
        this.worldSize = worldSize;
    }

    @Override
    public void reduce(TrainableParameters parameters, TrainingView run) {
        // all done in combine(), before the step is recorded
    }

    @Override
    public Step combine(TrainableParameters parameters, Step local, TrainingView run) {
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
        return "AllReduceGradients[" + worldSize + " workers]";
    }

}
