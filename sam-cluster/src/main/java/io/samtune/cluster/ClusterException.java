package io.samtune.cluster;

import java.io.IOException;

/** A cluster that cannot go on: a member left or did not answer in time, or the group cannot form. */
public class ClusterException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened, naming the members, and what to do */
    public ClusterException(String message) {
        super(message);
    }

    /** As {@link #ClusterException(String)}, keeping the cause. */
    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
