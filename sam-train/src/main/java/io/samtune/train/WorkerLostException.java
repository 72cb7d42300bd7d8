package io.samtune.train;

/**
 * A data-parallel step that cannot complete: a worker left, did not send in time, or is at another
 * step. Every worker stops at that step with its last checkpoint intact; restarting them all with
 * {@code --resume} continues exactly.
 */
public final class WorkerLostException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** With what happened and what to do. */
    public WorkerLostException(String message) {
        super(message);
    }

    /** With its cause. */
    public WorkerLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
