package io.samtune.cluster.collective;

import io.samtune.cluster.ClusterException;
import java.util.List;

/**
 * What a collective needs of the group it runs in: the members a round expects, who has left, and
 * reliable point-to-point delivery of frames (in any order). The cluster engine implements it and
 * hands incoming frames to the collective.
 */
public interface PeerLink {

    /** This member's name. */
    String self();

    /** The members every round expects, in name order, this one included. */
    List<String> world();

    /** Whether {@code member} was in the group and has left it. */
    boolean hasLeft(String member);

    /**
     * Bytes at the start of every frame that the link fills itself (its own framing); a frame's
     * content starts after them.
     */
    int headroom();

    /**
     * Sends {@code frame} to one member, reliably; frames may arrive out of order. The link may
     * read the array after the call, so it is not changed afterwards.
     *
     * @throws ClusterException if it cannot be sent
     */
    void send(String to, byte[] frame) throws ClusterException;
}
