package io.samtune.distributed.federated.aggregation;

import com.google.gson.JsonObject;
import io.samtune.data.ConfigJson;
import java.util.Arrays;
import java.util.List;

/**
 * "trimmedmean": per coordinate, the sites ordered by value (ties by site index) lose the
 * {@code f = min(trim, (n-1)/2)} smallest and the f largest; the rest give their weighted mean (in
 * double, over the remaining sites in site order; equal weights when theirs are all 0). Stateless;
 * tolerates f faulty sites.
 *
 * @param trim the sites dropped at each end, 0..64 (fewer when there are not enough sites)
 */
public record TrimmedMean(int trim) implements Aggregation {

    /** The trim when federation.json names none. */
    public static final int DEFAULT_TRIM = 1;

    /** Checks the trim. */
    public TrimmedMean {
        if (trim < 0 || trim > 64) {
            throw new IllegalArgumentException("federation setting 'merge.trim' must be in 0..64, got " + trim);
        }
    }

    /** Reads "trim" (default 1). */
    static TrimmedMean fromJson(ConfigJson j) {
        return new TrimmedMean(j.int32("trim", DEFAULT_TRIM));
    }

    @Override
    public String name() {
        return "trimmedmean";
    }

    @Override
    public JsonObject toJson() {
        JsonObject o = Aggregation.super.toJson();
        o.addProperty("trim", trim);
        return o;
    }

    @Override
    public String describe() {
        return name() + " (trim " + trim + ")";
    }

    @Override
    public Result aggregate(long round, float[] global, List<SiteUpdate> updates, AggregationState state) {
        Updates u = Updates.of(global, updates);
        Stateless.check(name(), state, global.length);
        int sites = u.sites();
        int f = tolerates(sites);
        double[] w = u.weights();
        float[] out = new float[global.length];
        float[] column = new float[sites];
        int[] order = new int[sites];
        boolean[] kept = new boolean[sites];
        for (int i = 0; i < out.length; i++) {
            u.column(i, column);
            Updates.order(column, order);
            Arrays.fill(kept, false);
            for (int j = f; j < sites - f; j++) {
                kept[order[j]] = true;
            }
            double total = 0;
            for (int k = 0; k < sites; k++) {
                if (kept[k]) {
                    total += w[k];
                }
            }
            boolean equal = !(total > 0);
            double s = 0;
            for (int k = 0; k < sites; k++) {
                if (kept[k]) {
                    s += (equal ? 1 : w[k]) * column[k];
                }
            }
            total = equal ? sites - 2 * f : total;
            out[i] = (float) (s / total);
        }
        return new Result(out, Stateless.next(state));
    }

    @Override
    public int tolerates(int sites) {
        return Math.min(trim, Updates.minority(sites));
    }
}
