package io.samtune.train;

/**
 * The loop's hook after an update, every {@link #every()} optimizer steps: where sites exchange and
 * average their weights. It may replace the group's tensors ({@link TrainableParameters#assign});
 * the loop trains the new values from the next step on, with the optimizer's moments kept by name.
 * The default does nothing.
 */
public interface WeightSynchroniser {

    /** Never synchronises. */
    WeightSynchroniser NONE = new WeightSynchroniser() {
        @Override
        public int every() {
            return 0;
        }

        @Override
        public void synchronise(TrainableParameters parameters, TrainingView run) {
        }
    };

    /** Steps between synchronisations; 0 for never. */
    int every();

    /**
     * Brings the weights in line with the other sites'.
     *
     * @param parameters the trained group, just updated
     * @param run the run as it stands after the update ({@code run.step()} is a multiple of {@link #every()})
     */
    void synchronise(TrainableParameters parameters, TrainingView run);

    /**
     * Called once before the first step (of a fresh or resumed run), e.g. to wait for the other
     * sites and take over the weights they hold. The default does nothing.
     */
    default void start(TrainableParameters parameters, TrainingView run) {
    }

    /**
     * Called once after the last step, e.g. for a final round that leaves every site with the same
     * weights; the run's last checkpoint is written again afterwards when this returns true.
     *
     * @return true if it changed the weights
     */
    default boolean finish(TrainableParameters parameters, TrainingView run) {
        return false;
    }
}
