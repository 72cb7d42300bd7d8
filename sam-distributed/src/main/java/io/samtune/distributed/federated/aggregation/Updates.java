package io.samtune.distributed.federated.aggregation;

import io.samtune.distributed.federated.aggregation.Aggregation.SiteUpdate;
import java.util.List;

/**
 * A round's updates checked against the global weights, with the weights the sites count with:
 * their own, or 1 each when they are all 0 (as the former closed merge does).
 */
final class Updates {

    private final float[][] values;
    private final double[] weights;
    private final double total;

    private Updates(float[][] values, double[] weights, double total) {
        this.values = values;
        this.weights = weights;
        this.total = total;
    }

    /**
     * Checks the updates against the global weights.
     *
     * @throws IllegalArgumentException when there are none, one is missing or a length differs
     */
    static Updates of(float[] global, List<SiteUpdate> updates) {
        if (global == null) {
            throw new IllegalArgumentException("the global weights are missing");
        }
        if (updates == null || updates.isEmpty()) {
            throw new IllegalArgumentException("no site updates to aggregate");
        }
        int sites = updates.size();
        float[][] values = new float[sites][];
        double[] weights = new double[sites];
        double total = 0;
        for (int k = 0; k < sites; k++) {
            SiteUpdate u = updates.get(k);
            if (u == null) {
                throw new IllegalArgumentException("update " + k + " of " + sites + " is missing");
            }
            if (u.values().length != global.length) {
                throw new IllegalArgumentException("update of " + u.site() + " has " + u.values().length
                        + " values, the global weights " + global.length);
            }
            values[k] = u.values();
            weights[k] = u.weight();
            total += weights[k];
        }
        if (!(total > 0)) {
            total = 0;
            for (int k = 0; k < sites; k++) {
                weights[k] = 1;
                total += 1;
            }
        }
        return new Updates(values, weights, total);
    }

    /** The most faulty sites among n that a median tolerates: fewer than half. */
    static int minority(int sites) {
        return Math.max(0, (sites - 1) / 2);
    }

    int sites() {
        return values.length;
    }

    /** Site k's values (the caller's array: read only). */
    float[] values(int k) {
        return values[k];
    }

    /** The weights the sites count with (never all 0; read only). */
    double[] weights() {
        return weights;
    }

    /** The sum of {@link #weights()}, added in site order. */
    double total() {
        return total;
    }

    /** Per coordinate, the sum over sites in order of weight times value, over the total, in double. */
    double[] mean() {
        int n = values[0].length;
        double[] out = new double[n];
        // site by site over every coordinate: each coordinate still sums its sites in order from 0, the
        // same arithmetic as a loop over sites per coordinate, but along whole arrays
        for (int k = 0; k < values.length; k++) {
            double w = weights[k];
            float[] v = values[k];
            for (int i = 0; i < n; i++) {
                out[i] += w * v[i];
            }
        }
        for (int i = 0; i < n; i++) {
            out[i] /= total;
        }
        return out;
    }

    /** Copies coordinate i of every site into column. */
    void column(int i, float[] column) {
        for (int k = 0; k < values.length; k++) {
            column[k] = values[k][i];
        }
    }

    /**
     * Orders the sites by their value in column ({@link Float#compare}), ties by site index, into order.
     * Insertion sort: the sites are few, and stability gives the ties rule for free.
     */
    static void order(float[] column, int[] order) {
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        for (int a = 1; a < order.length; a++) {
            int site = order[a];
            int b = a - 1;
            while (b >= 0 && Float.compare(column[site], column[order[b]]) < 0) {
                order[b + 1] = order[b];
                b--;
            }
            order[b + 1] = site;
        }
    }
}
