package io.samtune.train;

/**
 * The loop's hook between "gradients computed" and "gradients applied": where several devices' or
 * workers' gradients are combined (summed in a fixed order) before the one update. It changes the
 * group's gradients in place. The default does nothing.
 */
@FunctionalInterface
public interface GradientReducer {

    /** Leaves the gradients alone: one process, one device. */
    GradientReducer NONE = (parameters, run) -> { };

    /**
     * Combines the gradients of this step.
     *
     * @param parameters the trained group, gradients attached ({@link TrainableParameters#gradients()})
     * @param run the run as it stands: the step's loss is known, the update not yet made
     */
    void reduce(TrainableParameters parameters, TrainingView run);

    /** A step's loss (mean over its samples) and its number of samples. */
    record Step(double loss, int samples) {
    }

    /**
     * Combines this process's share of a step with the other workers' shares (data parallelism
     * across processes): sums the gradients in place and returns the whole step's loss and samples.
     * Called before {@link #reduce}, with {@code run} still at the last completed step. The default:
     * this process computed the whole step.
     *
     * @param local this process's part: its share of the loss (already weighted by its share of the
     *     batch) and its samples
     */
    default Step combine(TrainableParameters parameters, Step local, TrainingView run) {
        return local;
    }
}
