package io.samtune.distributed.federated.aggregation;

import com.google.gson.JsonObject;
import java.util.List;

/**
 * One way of turning the sites' updates into the next global weights, possibly with state carried
 * from round to round (a server optimiser's moments). Every site runs the same strategy on the same
 * inputs in the same order with double-precision arithmetic, so every site gets the same bits.
 */
public interface Aggregation {

    /**
     * One site's contribution to a round: its weights and its weight (>= 0, finite).
     *
     * @param site the site's name (for messages)
     * @param values the site's weights; not copied, so leave it unchanged while it is aggregated
     * @param weight how much the site counts (samples trained on times its configured weight)
     */
    record SiteUpdate(String site, float[] values, double weight) {

        /** Checks the name, the values and the weight (finite, >= 0). */
        public SiteUpdate {
            if (site == null || site.isBlank()) {
                throw new IllegalArgumentException("a site update needs the site's name");
            }
            if (values == null) {
                throw new IllegalArgumentException("update of " + site + " has no values");
            }
            if (!(weight >= 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("weight of " + site + " must be finite and >= 0, got " + weight);
            }
        }

        @Override
        public String toString() {
            return "SiteUpdate[" + site + ", " + values.length + " values, weight " + weight + "]";
        }
    }

    /**
     * The new global weights and the strategy's state after a round.
     *
     * @param global the new global weights
     * @param state the state to pass to the next round
     */
    record Result(float[] global, AggregationState state) {

        /** Checks that neither part is missing. */
        public Result {
            if (global == null || state == null) {
                throw new IllegalArgumentException("an aggregation result needs the global weights and the state");
            }
        }

        @Override
        public String toString() {
            return "Result[" + global.length + " values, " + state + "]";
        }
    }

    /** The name in federation.json: "mean", "coordmedian", "trimmedmean", "geomedian", "fedavgm", "fedadam", "fedyogi". */
    String name();

    /**
     * The settings as JSON: {"strategy": name, ...settings}; Aggregations.parse(toJson()) equals
     * this. By default the name alone (a strategy with settings adds them).
     */
    default JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("strategy", name());
        return o;
    }

    /** One line for logs, e.g. "fedadam (serverLr 0.01, beta1 0.9, beta2 0.99, tau 0.001)"; by default the name. */
    default String describe() {
        return name();
    }

    /**
     * The state before the first round, for weight vectors of {@code length} values
     * ({@link AggregationState#EMPTY} when stateless).
     *
     * @param length the number of values in the global weights
     * @return the state to pass to the first {@link #aggregate} call; by default none (a stateless strategy)
     */
    default AggregationState initialState(int length) {
        return AggregationState.EMPTY;
    }

    /**
     * The round's new global weights. The returned state counts this round ({@code rounds} one more
     * than the given state's), also for stateless strategies, whose state holds no buffers.
     *
     * @param round the round number (0, 1, ...)
     * @param global the current global weights (the last merged ones, or the common start)
     * @param updates the sites' updates, in site-name order, all of global.length values
     * @param state this strategy's state after the previous round (initialState first)
     * @return the new global weights and the state for the next round
     * @throws IllegalArgumentException when updates is empty, a length differs, a weight is negative or not finite, or the state does not fit
     */
    Result aggregate(long round, float[] global, List<SiteUpdate> updates, AggregationState state);

    /**
     * Faulty sites among n that this strategy tolerates (mean and server optimisers 0; coordmedian
     * (n-1)/2; trimmedmean min(trim,(n-1)/2); geomedian (n-1)/2).
     *
     * @param sites the number of sites taking part
     * @return how many of them may send arbitrary values without moving the result out of the honest range
     */
    int tolerates(int sites);

    /**
     * Whether each value of the result depends only on the same value of the updates, the global
     * weights and the state, so that a merge can be split by coordinates among the sites (a sharded
     * merge equals the merge at one site bit for bit). True but for the geometric median.
     */
    default boolean perCoordinate() {
        return true;
    }
}
