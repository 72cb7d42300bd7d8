package io.samtune.distributed.federated.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.distributed.federated.Merge;
import io.samtune.distributed.federated.aggregation.Aggregation.SiteUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Mean, medians and trimmed mean: Merge's bits, a plain trimmed mean, and outliers kept out. */
class RobustAggregationTest {

    private static final String[] SITES = {"site-a", "site-b", "site-c", "site-d", "site-e"};

    @Test
    void meanAndMediansGiveMergesBits() {
        Random r = new Random(11);
        for (int trial = 0; trial < 8; trial++) {
            float[][] v = new float[5][37];
            for (float[] site : v) {
                for (int i = 0; i < site.length; i++) {
                    // a few trials draw from four values so that ties and exact halves happen
                    site[i] = trial % 2 == 0 ? (float) r.nextGaussian() : r.nextInt(4) * 0.5f;
                }
            }
            double[] w = new double[5];
            for (int k = 0; k < 5; k++) {
                w[k] = trial == 0 ? 0 : trial % 2 == 1 ? r.nextInt(3) : r.nextDouble() * (k == 2 ? 0 : 100);
            }
            List<SiteUpdate> updates = updates(v, w);
            float[] global = new float[37];
            List<float[]> vectors = Arrays.asList(v);
            assertThat(new WeightedMean().aggregate(trial, global, updates, AggregationState.EMPTY).global())
                    .as("mean, trial %d", trial).containsExactly(Merge.MEAN.merge(vectors, w));
            assertThat(new CoordinateMedian().aggregate(trial, global, updates, AggregationState.EMPTY).global())
                    .as("coordmedian, trial %d", trial).containsExactly(Merge.COORDMEDIAN.merge(vectors, w));
            assertThat(new GeometricMedian().aggregate(trial, global, updates, AggregationState.EMPTY).global())
                    .as("geomedian, trial %d", trial).containsExactly(Merge.GEOMEDIAN.merge(vectors, w));
        }
    }

    @Test
    void statelessStrategiesCountRoundsAndKeepNoBuffers() {
        List<SiteUpdate> updates = List.of(new SiteUpdate("site-a", new float[] {1, 2}, 1));
        for (Aggregation a : List.of(new WeightedMean(), new CoordinateMedian(), new TrimmedMean(1), new GeometricMedian())) {
            assertThat(a.initialState(2)).isEqualTo(AggregationState.EMPTY);
            AggregationState s = a.aggregate(0, new float[2], updates, a.initialState(2)).state();
            s = a.aggregate(1, new float[2], updates, s).state();
            assertThat(s).as(a.name()).isEqualTo(new AggregationState(2, List.of()));
        }
    }

    @Test
    void trimmedMeanDropsTheEndsOfEachCoordinate() {
        Random r = new Random(5);
        for (int trial = 0; trial < 6; trial++) {
            float[][] v = new float[5][37];
            for (float[] site : v) {
                for (int i = 0; i < site.length; i++) {
                    site[i] = trial % 2 == 0 ? (float) r.nextGaussian() : r.nextInt(3);
                }
            }
            double[] w = new double[5];
            for (int k = 0; k < 5; k++) {
                w[k] = trial == 1 ? 0 : r.nextDouble() * 10;
            }
            for (int trim = 0; trim <= 2; trim++) {
                float[] got = new TrimmedMean(trim).aggregate(0, new float[37], updates(v, w), AggregationState.EMPTY).global();
                assertThat(got).as("trim %d, trial %d", trim, trial).containsExactly(plainTrimmedMean(v, w, trim));
            }
            // more than (n-1)/2 = 2 is clamped to 2: the weighted median's neighbourhood, one site per coordinate
            float[] clamped = new TrimmedMean(10).aggregate(0, new float[37], updates(v, w), AggregationState.EMPTY).global();
            assertThat(clamped).containsExactly(plainTrimmedMean(v, w, 2));
        }
        // the sites left have no weight between them: they count equally
        float[][] ends = {{1f}, {2f}, {3f}, {4f}, {5f}};
        assertThat(new TrimmedMean(1).aggregate(0, new float[1], updates(ends, new double[] {0, 0, 0, 0, 9}),
                AggregationState.EMPTY).global()).containsExactly(3f);
        // no trim: the plain weighted mean
        float[][] v = {{1f, 2f}, {3f, 5f}};
        assertThat(new TrimmedMean(0).aggregate(0, new float[2], updates(v, new double[] {1, 3}), AggregationState.EMPTY)
                .global()).containsExactly(2.5f, 4.25f);
    }

    @Test
    void trimmedMeanKeepsAnOutlierOut() {
        Random r = new Random(9);
        float[][] v = new float[5][37];
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 37; i++) {
                v[k][i] = 1 + (float) r.nextGaussian() * 0.1f;
            }
        }
        Arrays.fill(v[4], 1e6f);
        float[] got = new TrimmedMean(1).aggregate(0, new float[37], updates(v, new double[] {1, 1, 1, 1, 50}),
                AggregationState.EMPTY).global();
        for (int i = 0; i < 37; i++) {
            float low = Math.min(Math.min(v[0][i], v[1][i]), Math.min(v[2][i], v[3][i]));
            float high = Math.max(Math.max(v[0][i], v[1][i]), Math.max(v[2][i], v[3][i]));
            assertThat(got[i]).as("coordinate %d", i).isBetween(low, high);
        }
        assertThat(new WeightedMean().aggregate(0, new float[37], updates(v, new double[] {1, 1, 1, 1, 50}),
                AggregationState.EMPTY).global()[0]).isGreaterThan(1000f);
    }

    @Test
    void toleratedFaultySites() {
        int[] sites = {0, 1, 2, 3, 4, 5, 7, 10};
        int[] medians = {0, 0, 0, 1, 1, 2, 3, 4};
        for (int j = 0; j < sites.length; j++) {
            int n = sites[j];
            assertThat(new WeightedMean().tolerates(n)).isZero();
            assertThat(new CoordinateMedian().tolerates(n)).as("coordmedian of %d", n).isEqualTo(medians[j]);
            assertThat(new GeometricMedian().tolerates(n)).as("geomedian of %d", n).isEqualTo(medians[j]);
            assertThat(new TrimmedMean(1).tolerates(n)).as("trim 1 of %d", n).isEqualTo(Math.min(1, medians[j]));
            assertThat(new TrimmedMean(64).tolerates(n)).as("trim 64 of %d", n).isEqualTo(medians[j]);
            for (ServerOptimiser.Kind kind : ServerOptimiser.Kind.values()) {
                assertThat(ServerOptimiser.defaults(kind).tolerates(n)).isZero();
            }
        }
    }

    static List<SiteUpdate> updates(float[][] v, double[] w) {
        List<SiteUpdate> out = new ArrayList<>();
        for (int k = 0; k < v.length; k++) {
            out.add(new SiteUpdate(SITES[k], v[k], w[k]));
        }
        return out;
    }

    /** Sort each coordinate's sites by (value, index), drop f at each end, weighted mean of the rest in site order. */
    private static float[] plainTrimmedMean(float[][] v, double[] w, int trim) {
        int n = v.length;
        int f = Math.min(trim, (n - 1) / 2);
        double all = Arrays.stream(w).sum();
        float[] out = new float[v[0].length];
        for (int i = 0; i < out.length; i++) {
            int c = i;
            Integer[] order = {0, 1, 2, 3, 4};
            Arrays.sort(order, Comparator.<Integer>comparingDouble(k -> v[k][c]).thenComparing(k -> k));
            List<Integer> rest = new ArrayList<>(Arrays.asList(order).subList(f, n - f));
            rest.sort(null);
            double total = 0;
            for (int k : rest) {
                total += all > 0 ? w[k] : 1;
            }
            boolean equal = total == 0;
            double s = 0;
            for (int k : rest) {
                s += (equal || all == 0 ? 1 : w[k]) * v[k][i];
            }
            out[i] = (float) (s / (equal ? rest.size() : total));
        }
        return out;
    }
}
