package io.samtune.train;

/**
 * A run stopped on request (a signal, a scheduler's preemption) after finishing a step; the state
 * of that step was checkpointed first, so the same run resumes exactly.
 */
public class TrainingInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long step;

    /** @param step the last step done and checkpointed */
    public TrainingInterruptedException(long step) {
        super("stopped at step " + step);
        this.step = step;
    }

    /** The last step done and checkpointed. */
    public long step() {
        return step;
    }
}
