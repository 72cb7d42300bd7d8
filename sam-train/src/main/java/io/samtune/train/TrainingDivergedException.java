package io.samtune.train;

/** Training stopped because the loss became NaN or infinite; the last good checkpoint is kept. */
public class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened, at which step, and what to do */
    public TrainingDivergedException(String message) {
        super(message);
    }
}
