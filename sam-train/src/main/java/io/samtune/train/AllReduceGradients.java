package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Objects;

/**
 * Data parallelism across processes: each step, every worker's share of the gradients, loss and
 * sample count are summed over all workers (in a fixed worker order, so every worker gets the same
 * bits) and written back in place; every worker then makes the same update. With
 * {@link DecoderTrainer#setShard} the sum is the gradient of the whole global batch.
 */
public final class AllReduceGradients implements GradientReducer {

    /** Sums a vector over every worker for one round (the same round number on every worker). */
    @FunctionalInterface
    public interface Sum {
        /**
         * @throws WorkerLostException if a worker left or did not send in time
         */
        double[] sum(long round, double[] values);
    }

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
        long n = parameters.parameterCount();
        double[] v = new double[Math.toIntExact(n + 4)];
        int at = 0;
        for (NDArray a : parameters.arrays().values()) {
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray g = a.getGradient();
                g.attach(scope);
                for (float x : g.toFloatArray()) {
                    v[at++] = x;
                }
            }
        }
        v[at] = local.loss();
        v[at + 1] = local.samples();
        v[at + 2] = run.step();
        v[at + 3] = 1; // counts the workers
        double[] s = sum.sum(run.step(), v);
        if (s[at + 3] != worldSize || s[at + 2] != (double) run.step() * worldSize) {
            throw new WorkerLostException(String.format(java.util.Locale.ROOT, "the workers are not in step: %.0f of %d"
                    + " took part in step %d (steps summed %.0f); restart every worker with --resume from the same"
                    + " checkpoint", s[at + 3], worldSize, run.step(), s[at + 2]));
        }
        at = 0;
        for (NDArray a : parameters.arrays().values()) {
            int size = Math.toIntExact(a.size());
            float[] g = new float[size];
            for (int i = 0; i < size; i++) {
                g[i] = (float) s[at + i];
            }
            at += size;
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray grad = a.getGradient();
                grad.attach(scope);
                NDArray summed = scope.create(g, a.getShape()).toDevice(grad.getDevice(), false);
                summed.attach(scope);
                grad.set(new NDIndex("..."), summed);
            }
        }
        return new Step(s[at], (int) Math.round(s[at + 1]));
    }

    @Override
    public String toString() {
        return "AllReduceGradients[" + worldSize + " workers]";
    }

}
