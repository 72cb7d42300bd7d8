package io.samtune.train;

/**
 * Hooks into the training loop: logging, checkpointing, progress and divergence checks are
 * listeners, so the loop itself stays short. Every method has an empty default.
 */
public interface TrainingListener {

    /** What a step did. */
    record StepEvent(long step, int epoch, double loss, double learningRate, int samples, double seconds) {
    }

    /** What an epoch did; {@code valDice} is NaN without a validation part. */
    record EpochEvent(int epoch, long step, double meanLoss, double valDice, boolean best, double seconds) {
    }

    /** A listener that calls {@code callback} after every optimizer step, e.g. to print progress. */
    static TrainingListener onStep(java.util.function.Consumer<StepEvent> callback) {
        return new TrainingListener() {
            @Override
            public void onStep(StepEvent event) {
                callback.accept(event);
            }
        };
    }

    /** Called once before the first step, with the plan. */
    default void onStart(TrainingPlan plan) {
    }

    /**
     * Called with a step's loss before the optimizer applies it; throw to stop (the parameters are
     * still those of the last good step).
     */
    default void onLoss(StepEvent event) {
    }

    /** Called after each optimizer step. */
    default void onStep(StepEvent event) {
    }


    /** Called after each epoch (and its validation). */
    default void onEpochEnd(EpochEvent event) {
    }

    /** Called when the run ends normally. */
    default void onEnd(TrainingResult result) {
    }

    /** The shape of a run, known at its start. */
    record TrainingPlan(int trainSamples, int validationSamples, int epochs, long stepsPerEpoch, long totalSteps,
                        long startStep, int startEpoch) {
    }
}
