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
}
