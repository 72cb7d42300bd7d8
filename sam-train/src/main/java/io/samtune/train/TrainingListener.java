package io.samtune.train;

import java.util.function.Consumer;

/**
 * Hooks into the training loop. Checkpointing ({@code Checkpoints}), validation with the choice of
 * the best decoder ({@code Validation}), the NaN stop ({@link DivergenceGuard}), the metrics log
 * and progress bars are all listeners, so the loop itself stays short. Every method has an empty
 * default; each receives the run as a read-only {@link TrainingView}.
 */
public interface TrainingListener {

    /** A listener that calls {@code callback} after every optimizer step, e.g. to print progress. */
    static TrainingListener onStep(Consumer<TrainingView> callback) {
        return new TrainingListener() {
            @Override
            public void onStep(TrainingView run) {
                callback.accept(run);
            }
        };
    }

    /** Called once before the first step (after a resume has restored the run). */
    default void onStart(TrainingView run) {
    }

    /**
     * Called with a step's loss and gradients before the update; throw to stop (the weights are
     * still those of the last good step).
     */
    default void beforeUpdate(TrainingView run) {
    }

    /** Called after each optimizer step (and any weight synchronisation). */
    default void onStep(TrainingView run) {
    }

    /** Called when an epoch ends (or the run's last step is done within one). */
    default void onEpochEnd(TrainingView run) {
    }

    /**
     * Asked at the start and after every epoch end: true ends the run there, as if its last epoch
     * were done (early stopping). Listeners observe; this is how one ends a run early.
     */
    default boolean wantsStop(TrainingView run) {
        return false;
    }

    /** Called when the run ends normally. */
    default void onEnd(TrainingView run, TrainingResult result) {
    }

    /**
     * Called when the run stops on an error; the view holds the last good step (the failing one
     * was not applied).
     */
    default void onStop(TrainingView run, Exception cause) {
    }
}
