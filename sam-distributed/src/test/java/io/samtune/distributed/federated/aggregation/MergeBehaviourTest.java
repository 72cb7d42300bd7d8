package io.samtune.distributed.federated.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The merges weigh sites by their samples, resist an outlier, and give identical inputs back exactly. */
class MergeBehaviourTest {

    private static float[] merge(Aggregation a, List<float[]> vectors, double[] weights) {
        List<Aggregation.SiteUpdate> updates = new ArrayList<>();
        for (int k = 0; k < vectors.size(); k++) {
            updates.add(new Aggregation.SiteUpdate("site-" + k, vectors.get(k), weights[k]));
        }
        float[] global = vectors.get(0).clone();
        return a.aggregate(0, global, updates, a.initialState(global.length)).global();
    }


    @Test
    void samplesWeightTheSites() {
        float[] a = {0f, 4f};
        float[] b = {1f, 8f};
        // 10 vs 30 samples: 0.25 and 0.75
        assertThat(merge(new WeightedMean(), List.of(a, b), new double[] {10, 30})).containsExactly(0.75f, 7f);
        // no samples at all: equal weights
        assertThat(merge(new WeightedMean(), List.of(a, b), new double[] {0, 0})).containsExactly(0.5f, 6f);
        // the weighted median takes the side holding more than half the weight
        assertThat(merge(new CoordinateMedian(), List.of(a, b), new double[] {10, 30})).containsExactly(1f, 8f);
        assertThat(merge(new CoordinateMedian(), List.of(a, b), new double[] {30, 10})).containsExactly(0f, 4f);
        // exactly half: midway
        assertThat(merge(new CoordinateMedian(), List.of(a, b), new double[] {20, 20})).containsExactly(0.5f, 6f);
    }

    @Test
    void mediansResistAnOutlierThatMovesTheMean() {
        float[] a = {1f, 1f};
        float[] b = {1.1f, 0.9f};
        float[] c = {0.9f, 1.1f};
        float[] outlier = {1000f, -1000f};
        List<float[]> all = List.of(a, b, c, outlier);
        double[] w = {1, 1, 1, 1};
        assertThat(merge(new WeightedMean(), all, w)[0]).isGreaterThan(200f);
        float[] median = merge(new CoordinateMedian(), all, w);
        assertThat(median[0]).isBetween(0.9f, 1.1f);
        assertThat(median[1]).isBetween(0.9f, 1.1f);
        float[] geo = merge(new GeometricMedian(), all, w);
        assertThat(geo[0]).isBetween(0.9f, 1.2f);
        assertThat(geo[1]).isBetween(0.8f, 1.1f);
        // the geometric median of three points on a line with equal weights is the middle one
        float[] g = merge(new GeometricMedian(), List.of(new float[] {0f}, new float[] {1f}, new float[] {5f}), new double[] {1, 1, 1});
        assertThat(g[0]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void identicalSitesGetTheirWeightsBackBitForBit() {
        java.util.Random r = new java.util.Random(3);
        float[] w = new float[1000];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 0.02f;
        }
        for (Aggregation m : List.of(new WeightedMean(), new CoordinateMedian(), new GeometricMedian(), new TrimmedMean(1))) {
            assertThat(merge(m, List.of(w, w.clone(), w.clone()), new double[] {7, 13, 40})).as(m.name()).containsExactly(w);
        }
    }
}
