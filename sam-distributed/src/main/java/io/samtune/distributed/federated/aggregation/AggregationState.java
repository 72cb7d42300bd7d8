package io.samtune.distributed.federated.aggregation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a strategy carries from one round to the next: the rounds aggregated so far and its buffers
 * (a server optimiser's moments, each one value per weight). Equal when the rounds and the buffers'
 * contents are equal. The buffers are not copied: a strategy never changes the arrays it is given.
 *
 * @param rounds the rounds aggregated so far, >= 0
 * @param buffers the strategy's buffers, in the order the strategy documents
 */
public record AggregationState(long rounds, List<float[]> buffers) {

    /** No rounds yet and no buffers: the state of a stateless strategy. */
    public static final AggregationState EMPTY = new AggregationState(0, List.of());

    /** Checks the rounds and the buffers, and keeps an unmodifiable copy of the list. */
    public AggregationState {
        if (rounds < 0) {
            throw new IllegalArgumentException("an aggregation state's rounds must be >= 0, got " + rounds);
        }
        if (buffers == null) {
            throw new IllegalArgumentException("an aggregation state needs its list of buffers (empty when stateless)");
        }
        for (int b = 0; b < buffers.size(); b++) {
            if (buffers.get(b) == null) {
                throw new IllegalArgumentException("buffer " + b + " of the aggregation state is missing");
            }
        }
        buffers = List.copyOf(buffers);
    }

    /**
     * Whether this state suits a strategy keeping {@code count} buffers over {@code length} weights.
     *
     * @param length the number of values each buffer must hold
     * @param count the number of buffers
     */
    public boolean fits(int length, int count) {
        if (buffers.size() != count) {
            return false;
        }
        for (float[] b : buffers) {
            if (b.length != length) {
                return false;
            }
        }
        return true;
    }

    /** Refuses a state that does not {@link #fits fit}, naming the strategy. */
    void require(String strategy, int length, int count) {
        if (fits(length, count)) {
            return;
        }
        List<Integer> lengths = new ArrayList<>();
        buffers.forEach(b -> lengths.add(b.length));
        String expected = count == 0 ? "keeps no state buffers"
                : "needs a state of " + count + " buffer" + (count > 1 ? "s" : "") + " of " + length + " values";
        throw new IllegalArgumentException(strategy + " " + expected + ", got buffers of lengths " + lengths
                + " (start from its initialState)");
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AggregationState s) || s.rounds != rounds || s.buffers.size() != buffers.size()) {
            return false;
        }
        for (int b = 0; b < buffers.size(); b++) {
            if (!Arrays.equals(buffers.get(b), s.buffers.get(b))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(rounds);
        for (float[] b : buffers) {
            h = 31 * h + Arrays.hashCode(b);
        }
        return h;
    }

    @Override
    public String toString() {
        List<Integer> lengths = new ArrayList<>();
        buffers.forEach(b -> lengths.add(b.length));
        return "AggregationState[rounds " + rounds + ", buffers of lengths " + lengths + "]";
    }
}
