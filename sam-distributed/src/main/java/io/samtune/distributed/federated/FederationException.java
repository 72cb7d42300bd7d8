package io.samtune.distributed.federated;

/** A federation that cannot go on: too few sites, a refused peer, an incompatible site. The message says what to do. */
public final class FederationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** With the reason and what to do. */
    public FederationException(String message) {
        super(message);
    }

    /** With its cause. */
    public FederationException(String message, Throwable cause) {
        super(message, cause);
    }
}
