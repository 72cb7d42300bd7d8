package io.samtune.core.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint that cannot be used: unreadable, of an unknown or unsafe format, or not fitting the model. */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the checkpoint file, or null when not from a file
     * @param message what is wrong and what to do
     */
    public CheckpointException(Path file, String message) {
        this(file, message, null);
    }

    /** As {@link #CheckpointException(Path, String)}, keeping the low-level cause. */
    public CheckpointException(Path file, String message, Throwable cause) {
        super(file == null ? message : file + ": " + message, cause);
        this.file = file;
    }

    /** The checkpoint file, or null. */
    public Path file() {
        return file;
    }
}
