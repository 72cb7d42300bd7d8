package io.samtune.distributed.federated;

import io.samtune.distributed.federated.aggregation.AggregationState;

/** What makes a contribution or a merge unfit to believe: its size, its sample count, values that are not finite. */
final class Contributions {

    private Contributions() {
    }

    /**
     * Why {@code c} is refused, or null.
     *
     * @param length the decoder's values (-1 while unknown)
     * @param maxSamples the most samples one round can hold (batch x syncEvery)
     */
    static String refusal(Messages.Contribution c, int length, long maxSamples) {
        if (length >= 0 && c.values().length != length) {
            return "has " + c.values().length + " values, the decoder " + length;
        }
        if (c.samples() < 0 || c.samples() > maxSamples) {
            return "claims " + c.samples() + " samples (a round holds 0 to " + maxSamples + ")";
        }
        return nonFinite(c.values(), AggregationState.EMPTY);
    }

    /** Where {@code values} or the state hold a value that is not finite, or null when none does. */
    static String nonFinite(float[] values, AggregationState state) {
        int at = firstNonFinite(values);
        if (at >= 0) {
            return "holds " + values[at] + " at value " + at;
        }
        for (int b = 0; b < state.buffers().size(); b++) {
            at = firstNonFinite(state.buffers().get(b));
            if (at >= 0) {
                return "holds " + state.buffers().get(b)[at] + " in its aggregation state";
            }
        }
        return null;
    }

    private static int firstNonFinite(float[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                return i;
            }
        }
        return -1;
    }
}
