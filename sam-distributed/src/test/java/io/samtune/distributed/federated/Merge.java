package io.samtune.distributed.federated;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How the sites' decoders become one: each site's vector of weights counts with a weight (the
 * samples it trained on since the last round times its configured weight). The inputs come in a
 * fixed order (site names), and the arithmetic is in double precision, so every site that merges
 * the same inputs gets the same bits.
 */
public enum Merge {
    /** The weighted mean, coordinate by coordinate. */
    MEAN("mean"),
    /** The weighted median of each coordinate (robust to a few sites sending outliers). */
    COORDMEDIAN("coordmedian"),
    /** The weighted geometric median of the whole vectors (Weiszfeld's iteration; robust as a whole). */
    GEOMEDIAN("geomedian");

    private final String label;

    Merge(String label) {
        this.label = label;
    }

    /** The name in {@code federation.json}. */
    public String label() {
        return label;
    }

    /** The merge called {@code label}. */
    public static Merge parse(String label) {
        for (Merge m : values()) {
            if (m.label.equals(label.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("federation setting 'merge' must be mean, coordmedian or geomedian, got '"
                + label + "'");
    }

    /**
     * Merges the vectors.
     *
     * @param vectors one per site, all of one length, in the sites' name order
     * @param weights one per site, >= 0; when all are 0 the sites count equally
     * @throws IllegalArgumentException if the lengths differ or a weight is negative
     */
    public float[] merge(List<float[]> vectors, double[] weights) {
        if (vectors.isEmpty() || vectors.size() != weights.length) {
            throw new IllegalArgumentException(vectors.size() + " vectors and " + weights.length + " weights");
        }
        int n = vectors.get(0).length;
        double total = 0;
        for (int k = 0; k < weights.length; k++) {
            if (vectors.get(k).length != n) {
                throw new IllegalArgumentException("vector " + k + " has " + vectors.get(k).length + " values, the first " + n);
            }
            if (!(weights[k] >= 0)) {
                throw new IllegalArgumentException("weight " + k + " is " + weights[k]);
            }
            total += weights[k];
        }
        double[] w = total > 0 ? weights.clone() : filled(weights.length);
        return switch (this) {
            case MEAN -> mean(vectors, w);
            case COORDMEDIAN -> coordinateMedian(vectors, w);
            case GEOMEDIAN -> geometricMedian(vectors, w);
        };
    }

    private static double[] filled(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1);
        return w;
    }

    /** Sum of weight times value over the sum of weights: sites with identical weights get them back exactly. */
    private static float[] mean(List<float[]> v, double[] w) {
        int n = v.get(0).length;
        double total = 0;
        for (double x : w) {
            total += x;
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < w.length; k++) {
                s += w[k] * v.get(k)[i];
            }
            out[i] = (float) (s / total);
        }
        return out;
    }

    /** The value where the cumulative weight reaches half; midway between two values when it is exactly half. */
    private static float[] coordinateMedian(List<float[]> v, double[] w) {
        int n = v.get(0).length;
        int sites = w.length;
        double total = 0;
        for (double x : w) {
            total += x;
        }
        float[] out = new float[n];
        Integer[] order = new Integer[sites];
        float[] column = new float[sites];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < sites; k++) {
                column[k] = v.get(k)[i];
                order[k] = k;
            }
            Arrays.sort(order, (a, b) -> a.equals(b) ? 0 : Float.compare(column[a], column[b]) != 0
                    ? Float.compare(column[a], column[b]) : Integer.compare(a, b));
            double cumulative = 0;
            out[i] = column[order[sites - 1]];
            for (int j = 0; j < sites; j++) {
                cumulative += w[order[j]];
                if (cumulative > total / 2) {
                    out[i] = column[order[j]];
                    break;
                }
                if (cumulative == total / 2) {
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
        return out;
    }

    /** Weiszfeld's iteration from the weighted mean, at most 200 steps, until it moves by less than 1e-9 relative. */
    private static float[] geometricMedian(List<float[]> v, double[] w) {
        int n = v.get(0).length;
        int sites = w.length;
        double[] z = new double[n];
        double total = 0;
        for (int k = 0; k < sites; k++) {
            total += w[k];
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < sites; k++) {
                s += w[k] * v.get(k)[i];
            }
            z[i] = s / total;
        }
        double[] next = new double[n];
        for (int iteration = 0; iteration < 200; iteration++) {
            double[] inverse = new double[sites];
            double sum = 0;
            for (int k = 0; k < sites; k++) {
                double d = 0;
                float[] x = v.get(k);
                for (int i = 0; i < n; i++) {
                    double diff = x[i] - z[i];
                    d += diff * diff;
                }
                inverse[k] = w[k] / Math.max(Math.sqrt(d), 1e-12);
                sum += inverse[k];
            }
            double moved = 0;
            double norm = 0;
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int k = 0; k < sites; k++) {
                    s += inverse[k] * v.get(k)[i];
                }
                next[i] = s / sum;
                moved += (next[i] - z[i]) * (next[i] - z[i]);
                norm += next[i] * next[i];
            }
            double[] t = z;
            z = next;
            next = t;
            if (Math.sqrt(moved) <= 1e-9 * Math.max(1e-30, Math.sqrt(norm))) {
                break;
            }
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) z[i];
        }
        return out;
    }
}
