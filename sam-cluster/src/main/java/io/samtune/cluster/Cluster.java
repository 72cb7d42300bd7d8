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

    /** The members seen in the group that have left it since (none by default). */
    default List<String> departed() {
        return List.of();
    }

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

    /**
     * Sends {@code payload} to one member, or to every other member when {@code to} is null
     * (reliably and in order from each sender; not to oneself).
     *
     * @throws ClusterException if it cannot be sent
     */
    void send(String to, byte[] payload) throws ClusterException;

    /** Sets who hears the group's messages and membership changes (replaces the previous one). */
    void setListener(Listener listener);

    /** Hears messages and membership; called on the engine's threads, so it returns quickly. */
    interface Listener {
        /** A message {@link #send sent} by {@code from}. */
        void onMessage(String from, byte[] payload);

        /** The members present now, in name order. */
        default void onMembers(List<String> members) {
        }
    }

    /** Leaves the group. */
    @Override
    void close();
}
