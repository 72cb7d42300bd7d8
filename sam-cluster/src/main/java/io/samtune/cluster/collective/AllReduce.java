package io.samtune.cluster.collective;

import io.samtune.cluster.ClusterException;
import java.time.Duration;

/**
 * The element-wise sum of a float32 vector over every member of a group, the same bits on every
 * member. Every member calls {@link #sum} with the same round number and a vector of the same
 * length; rounds follow one another (a member is in one round at a time).
 */
public interface AllReduce extends AutoCloseable {

    /**
     * Sums {@code values} over the members for round {@code round}. Each value is summed in member
     * name order, widened to double and rounded to float32 once, so every member holds identical bits
     * on every run. {@code values} is not changed.
     *
     * @return a new array holding the sums
     * @throws ClusterException naming the member that left, did not send within {@code timeout}, or
     *     sent a vector of another length
     */
    float[] sum(long round, float[] values, Duration timeout) throws ClusterException;

    /** Stops its threads; a round in progress fails. */
    @Override
    void close();
}
