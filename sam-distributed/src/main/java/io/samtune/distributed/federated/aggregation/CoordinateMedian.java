package io.samtune.distributed.federated.aggregation;

import java.util.List;

/**
 * "coordmedian": the weighted median of each coordinate, bit for bit as
 * the former closed merge COORDMEDIAN: the value where the cumulative weight
 * (sites ordered by value, ties by site index) passes half the total; midway to the next site with
 * weight when it reaches exactly half. Stateless; tolerates fewer than half the sites being faulty.
 */
public record CoordinateMedian() implements Aggregation {

    @Override
    public String name() {
        return "coordmedian";
    }

    @Override
    public Result aggregate(long round, float[] global, List<SiteUpdate> updates, AggregationState state) {
        Updates u = Updates.of(global, updates);
        Stateless.check(name(), state, global.length);
        int sites = u.sites();
        double[] w = u.weights();
        double half = u.total() / 2;
        float[] out = new float[global.length];
        float[] column = new float[sites];
        int[] order = new int[sites];
        for (int i = 0; i < out.length; i++) {
            u.column(i, column);
            Updates.order(column, order);
            double cumulative = 0;
            out[i] = column[order[sites - 1]];
            for (int j = 0; j < sites; j++) {
                cumulative += w[order[j]];
                if (cumulative > half) {
                    out[i] = column[order[j]];
                    break;
                }
                if (cumulative == half) {
                    int next = j + 1;
                    while (next < sites && w[order[next]] == 0) {
                        next++;
                    }
                    out[i] = next < sites ? (float) ((column[order[j]] + (double) column[order[next]]) / 2)
                            : column[order[j]];
                    break;
                }
            }
        }
        return new Result(out, Stateless.next(state));
    }

    @Override
    public int tolerates(int sites) {
        return Updates.minority(sites);
    }
}
