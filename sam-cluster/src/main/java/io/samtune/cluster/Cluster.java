package io.samtune.cluster;

import java.time.Duration;
import java.util.List;

/**
 * A group of processes that exchange numbers in rounds. Every member calls {@link #allReduceSum}
 * with the same round number; each gets the same sum, added in member-name order, so all members
 * hold bit-identical results.
 */
public interface Cluster extends AutoCloseable {

    /** This member's name. */
    String self();

    /** The members present now, in name order. */
    List<String> members();

    /**
     * Waits until {@code count} members are present; they form the world every later round expects
     * (a member leaving then stops the rounds, naming it).
     *
     * @throws ClusterException if they are not within {@code timeout}
     */
    void awaitMembers(int count, Duration timeout) throws ClusterException;

    /**
     * The element-wise sum of every member's {@code values} for round {@code round}, added in member
     * name order (identical bits on every member).
     *
     * @throws ClusterException naming the member that left or did not send within {@code timeout}
     */
    double[] allReduceSum(long round, double[] values, Duration timeout) throws ClusterException;

    /** Leaves the group. */
    @Override
    void close();
}
