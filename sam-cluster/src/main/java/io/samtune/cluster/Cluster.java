package io.samtune.cluster;

import io.samtune.cluster.collective.AllReduce;
import java.time.Duration;
import java.util.List;

/**
 * A group of processes: membership, messages to one member or all, and the collective
 * {@link #allReduce()} that sums a vector over every member with identical bits everywhere.
 */
public interface Cluster extends AutoCloseable {

    /** This member's name. */
    String self();

    /** The members present now, in name order. */
    List<String> members();

    /** The members seen in the group that are not in it now (none by default). */
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
     * The group's all-reduce: the element-wise sum of a float32 vector over the members that
     * {@link #awaitMembers} found, the same bits on every member.
     */
    AllReduce allReduce();

    /**
     * Sends {@code payload} on the default channel to one member, or to every other member when
     * {@code to} is null (reliably and in order from each sender; not to oneself).
     *
     * @throws ClusterException if it cannot be sent
     */
    default void send(String to, byte[] payload) throws ClusterException {
        channel("").send(to, payload);
    }

    /** Sets who hears the default channel's messages and membership changes (replaces the previous one). */
    default void setListener(Listener listener) {
        channel("").setListener(listener);
    }

    /**
     * A named channel of the group: its own messages and listener beside the other channels', so
     * several protocols (a data-parallel exchange, a federation's rounds, work claims) share one group
     * without seeing each other's messages. The same name gives the same channel.
     *
     * @param name at most {@value #MAX_CHANNEL_NAME} bytes of UTF-8; "" is the default channel
     * @throws IllegalArgumentException for a longer name, or more than {@value #MAX_CHANNELS} channels
     */
    Channel channel(String name);

    /** The longest channel name, in bytes. */
    int MAX_CHANNEL_NAME = 64;
    /** The most channels a member holds: messages for further names from peers are dropped. */
    int MAX_CHANNELS = 16;

    /** One channel of the group. */
    interface Channel {
        /** Its name. */
        String name();

        /**
         * Sends {@code payload} to one member, or to every other member when {@code to} is null;
         * only this channel's listeners hear it.
         *
         * @throws ClusterException if it cannot be sent
         */
        void send(String to, byte[] payload) throws ClusterException;

        /**
         * Sets who hears this channel's messages and the group's membership changes (replaces the
         * previous one); messages that came before it are delivered to it first.
         */
        void setListener(Listener listener);
    }

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
