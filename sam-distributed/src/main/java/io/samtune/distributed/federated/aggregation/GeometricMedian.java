package io.samtune.distributed.federated.aggregation;

import com.google.gson.JsonObject;
import java.util.List;

/**
 * "geomedian": the weighted geometric median of the whole vectors, bit for bit as
 * the former closed merge GEOMEDIAN: Weiszfeld's iteration from the weighted
 * mean, at most 200 steps, until a step moves less than 1e-9 of the norm (distances floored at 1e-12).
 * Stateless; tolerates fewer than half the sites being faulty.
 */
public record GeometricMedian() implements Aggregation {

    private static final int STEPS = 200;
    private static final double TOLERANCE = 1e-9;
    private static final double NEAREST = 1e-12;

    @Override
    public String name() {
        return "geomedian";
    }

    @Override
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("strategy", name());
        return o;
    }

    @Override
    public String describe() {
        return name();
    }

    @Override
    public AggregationState initialState(int length) {
        return AggregationState.EMPTY;
    }

    @Override
    public Result aggregate(long round, float[] global, List<SiteUpdate> updates, AggregationState state) {
        Updates u = Updates.of(global, updates);
        Stateless.check(name(), state, global.length);
        double[] z = weiszfeld(u, u.mean());
        float[] out = new float[z.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) z[i];
        }
        return new Result(out, Stateless.next(state));
    }

    /** Iterates from start; the summation orders are Merge's, so are the bits. */
    private static double[] weiszfeld(Updates u, double[] start) {
        int n = start.length;
        int sites = u.sites();
        double[] w = u.weights();
        double[] z = start;
        double[] next = new double[n];
        double[] inverse = new double[sites];
        for (int step = 0; step < STEPS; step++) {
            double sum = 0;
            for (int k = 0; k < sites; k++) {
                float[] x = u.values(k);
                double d = 0;
                for (int i = 0; i < n; i++) {
                    double diff = x[i] - z[i];
                    d += diff * diff;
                }
                inverse[k] = w[k] / Math.max(Math.sqrt(d), NEAREST);
                sum += inverse[k];
            }
            double moved = 0;
            double norm = 0;
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int k = 0; k < sites; k++) {
                    s += inverse[k] * u.values(k)[i];
                }
                next[i] = s / sum;
                moved += (next[i] - z[i]) * (next[i] - z[i]);
                norm += next[i] * next[i];
            }
            double[] t = z;
            z = next;
            next = t;
            if (Math.sqrt(moved) <= TOLERANCE * Math.max(1e-30, Math.sqrt(norm))) {
                break;
            }
        }
        return z;
    }

    @Override
    public int tolerates(int sites) {
        return Updates.minority(sites);
    }

    /** The distances are over whole vectors: the merge is not split by coordinates. */
    @Override
    public boolean perCoordinate() {
        return false;
    }
}
