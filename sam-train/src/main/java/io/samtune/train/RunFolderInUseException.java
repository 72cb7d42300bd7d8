package io.samtune.train;

import java.io.IOException;

/**
 * A run folder that another run holds (another process, or another thread of this one): the
 * message names the holder and says to wait for it or choose another folder.
 */
public final class RunFolderInUseException extends IOException {

    private static final long serialVersionUID = 1L;

    /** With the folder, its holder and what to do. */
    public RunFolderInUseException(String message) {
        super(message);
    }
}
