package io.samtune.distributed.federated.aggregation;

import java.util.Arrays;
import java.util.List;

/**
 * "geomedian": the weighted geometric median of the whole vectors, bit for bit as
 * the former closed merge GEOMEDIAN: Weiszfeld's iteration from the weighted
 * mean, at most 200 steps, until a step moves less than 1e-9 of the norm (distances floored at 1e-12).
 * Stateless; tolerates fewer than half the sites' contributions being faulty (merged in slices
 * ({@link InSlices}), each owner's partial sums weigh every site, so the owners are trusted).
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
    public Result aggregate(long round, float[] global, List<SiteUpdate> updates, AggregationState state) {
        Updates u = Updates.of(global, updates);
        Stateless.check(name(), state, global.length);
        return new Result(toFloats(weiszfeld(u, u.mean())), Stateless.next(state));
    }

    private static float[] toFloats(double[] z) {
        float[] out = new float[z.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) z[i];
        }
        return out;
    }

    /** Iterates from start; the summation orders are Merge's, so are the bits. */
    private static double[] weiszfeld(Updates u, double[] start) {
        int n = start.length;
        int sites = u.sites();
        double[] w = u.weights();
        double[] z = start;
        double[] next = new double[n];
        double[] inverse = new double[sites];
        double[] distances = new double[sites];
        for (int step = 0; step < STEPS; step++) {
            for (int k = 0; k < sites; k++) {
                distances[k] = squaredDistance(u.values(k), z);
            }
            double sum = weigh(w, distances, inverse);
            double[] movedNorm = moveTo(u, inverse, sum, z, next);
            double[] t = z;
            z = next;
            next = t;
            if (converged(movedNorm[0], movedNorm[1])) {
                break;
            }
        }
        return z;
    }

    /** The squared distance of a site's values to the estimate, summed in order. */
    private static double squaredDistance(float[] x, double[] z) {
        double d = 0;
        for (int i = 0; i < z.length; i++) {
            double diff = x[i] - z[i];
            d += diff * diff;
        }
        return d;
    }

    /** Each site's weight over its distance (floored) into {@code inverse}; returns their sum in site order. */
    private static double weigh(double[] w, double[] squaredDistances, double[] inverse) {
        double sum = 0;
        for (int k = 0; k < w.length; k++) {
            inverse[k] = w[k] / Math.max(Math.sqrt(squaredDistances[k]), NEAREST);
            sum += inverse[k];
        }
        return sum;
    }

    /** One Weiszfeld step from {@code z} into {@code next}; returns how far it moved (squared) and the squared norm. */
    private static double[] moveTo(Updates u, double[] inverse, double sum, double[] z, double[] next) {
        double moved = 0;
        double norm = 0;
        for (int i = 0; i < z.length; i++) {
            double s = 0;
            for (int k = 0; k < inverse.length; k++) {
                s += inverse[k] * u.values(k)[i];
            }
            next[i] = s / sum;
            moved += (next[i] - z[i]) * (next[i] - z[i]);
            norm += next[i] * next[i];
        }
        return new double[] {moved, norm};
    }

    /** Whether a step that moved the estimate by sqrt(moved) to a norm of sqrt(norm) ends the iteration. */
    private static boolean converged(double moved, double norm) {
        return Math.sqrt(moved) <= TOLERANCE * Math.max(1e-30, Math.sqrt(norm));
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

    /**
     * The same Weiszfeld iteration split by coordinates among owners: each owner iterates over its
     * slice, and at every step the owners add up their partial sums (each site's squared distance
     * to the estimate, and how far the last step moved it and its norm) in owner order, so that every
     * owner takes the same weights and stops at the same step. With one owner it is {@link
     * GeometricMedian#aggregate} bit for bit; with several the sums are added in another order (a
     * difference of float rounding).
     *
     * <p>Use: {@link #partials()} to send, {@link #advance} with the owners' sums, until it returns
     * true; then {@link #result()}.
     */
    public static final class InSlices {
        /** The highest step number whose sums are exchanged (the most steps, plus the sums that end them). */
        public static final int LAST_STEP = STEPS;

        private final Updates slice;
        private double[] z;
        private double movedPart;
        private double normPart;
        private int step;
        private boolean done;

        /**
         * Starts from the weighted mean of the slice.
         *
         * @param updates each site's slice of its weights, with its weight, in site-name order
         * @throws IllegalArgumentException as {@link Aggregation#aggregate} for bad updates
         */
        public InSlices(List<SiteUpdate> updates) {
            if (updates == null || updates.isEmpty()) {
                throw new IllegalArgumentException("no site updates to aggregate");
            }
            this.slice = Updates.of(updates.get(0).values(), updates);
            this.z = slice.mean();
        }

        /** The number of partial sums a step exchanges: 2 plus one per site. */
        public int partialCount() {
            return 2 + slice.sites();
        }

        /**
         * This slice's part of the sums of the step under way: how far the last step moved the
         * estimate (squared; 0 before the first), its squared norm, then each site's squared distance
         * to the estimate.
         */
        public double[] partials() {
            double[] out = new double[partialCount()];
            out[0] = movedPart;
            out[1] = normPart;
            for (int k = 0; k < slice.sites(); k++) {
                out[2 + k] = squaredDistance(slice.values(k), z);
            }
            return out;
        }

        /** The owners' partials of one step added up in owner order (every owner passes the same list, so gets the same bits). */
        public static double[] sum(List<double[]> byOwner) {
            double[] total = new double[byOwner.get(0).length];
            for (double[] p : byOwner) {
                if (p.length != total.length) {
                    throw new IllegalArgumentException("partial sums of " + p.length + " values, expected " + total.length);
                }
                for (int c = 0; c < total.length; c++) {
                    total[c] += p[c];
                }
            }
            return total;
        }

        /**
         * One step with the owners' summed partials: stops when the last step moved the estimate
         * less than the tolerance (or after the most steps), else moves this slice's estimate.
         *
         * @return true once the iteration has ended ({@link #result()} holds the slice of the median)
         */
        public boolean advance(double[] totals) {
            if (done) {
                return true;
            }
            if (totals.length != partialCount()) {
                throw new IllegalArgumentException("sums of " + totals.length + " values, expected " + partialCount());
            }
            if (step > 0 && converged(totals[0], totals[1])) {
                done = true;
                return true;
            }
            if (step == STEPS) {
                done = true;
                return true;
            }
            double[] inverse = new double[slice.sites()];
            double sum = weigh(slice.weights(), Arrays.copyOfRange(totals, 2, totals.length), inverse);
            double[] next = new double[z.length];
            double[] movedNorm = moveTo(slice, inverse, sum, z, next);
            z = next;
            movedPart = movedNorm[0];
            normPart = movedNorm[1];
            step++;
            return false;
        }

        /** The steps taken so far. */
        public int steps() {
            return step;
        }

        /** This slice of the median, once {@link #advance} returned true. */
        public float[] result() {
            if (!done) {
                throw new IllegalStateException("the iteration has not ended");
            }
            return toFloats(z);
        }
    }
}
