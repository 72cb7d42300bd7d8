package io.samtune.distributed.federated.aggregation;

/** The state of the strategies that keep none: no buffers, only the count of rounds. */
final class Stateless {

    private Stateless() {
    }

    /** Refuses a missing state or one with buffers. */
    static void check(String strategy, AggregationState state, int length) {
        if (state == null) {
            throw new IllegalArgumentException(strategy + " needs a state (start from its initialState)");
        }
        state.require(strategy, length, 0);
    }

    /** The state after one more round. */
    static AggregationState next(AggregationState state) {
        return new AggregationState(state.rounds() + 1, state.buffers());
    }
}
