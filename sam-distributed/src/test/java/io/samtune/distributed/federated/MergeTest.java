package io.samtune.distributed.federated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The three merges, their weighting by samples, and identical inputs given back exactly. */
class MergeTest {

    @Test
    void samplesWeightTheSites() {
        float[] a = {0f, 4f};
        float[] b = {1f, 8f};
        // 10 vs 30 samples: 0.25 and 0.75
        assertThat(Merge.MEAN.merge(List.of(a, b), new double[] {10, 30})).containsExactly(0.75f, 7f);
        // no samples at all: equal weights
        assertThat(Merge.MEAN.merge(List.of(a, b), new double[] {0, 0})).containsExactly(0.5f, 6f);
        // the weighted median takes the side holding more than half the weight
        assertThat(Merge.COORDMEDIAN.merge(List.of(a, b), new double[] {10, 30})).containsExactly(1f, 8f);
        assertThat(Merge.COORDMEDIAN.merge(List.of(a, b), new double[] {30, 10})).containsExactly(0f, 4f);
        // exactly half: midway
        assertThat(Merge.COORDMEDIAN.merge(List.of(a, b), new double[] {20, 20})).containsExactly(0.5f, 6f);
    }

    @Test
    void mediansResistAnOutlierThatMovesTheMean() {
        float[] a = {1f, 1f};
        float[] b = {1.1f, 0.9f};
        float[] c = {0.9f, 1.1f};
        float[] outlier = {1000f, -1000f};
        List<float[]> all = List.of(a, b, c, outlier);
        double[] w = {1, 1, 1, 1};
        assertThat(Merge.MEAN.merge(all, w)[0]).isGreaterThan(200f);
        float[] median = Merge.COORDMEDIAN.merge(all, w);
        assertThat(median[0]).isBetween(0.9f, 1.1f);
        assertThat(median[1]).isBetween(0.9f, 1.1f);
        float[] geo = Merge.GEOMEDIAN.merge(all, w);
        assertThat(geo[0]).isBetween(0.9f, 1.2f);
        assertThat(geo[1]).isBetween(0.8f, 1.1f);
        // the geometric median of three points on a line with equal weights is the middle one
        float[] g = Merge.GEOMEDIAN.merge(List.of(new float[] {0f}, new float[] {1f}, new float[] {5f}), new double[] {1, 1, 1});
        assertThat(g[0]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void identicalSitesGetTheirWeightsBackBitForBit() {
        java.util.Random r = new java.util.Random(3);
        float[] w = new float[1000];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 0.02f;
        }
        for (Merge m : Merge.values()) {
            assertThat(m.merge(List.of(w, w.clone(), w.clone()), new double[] {7, 13, 40})).as(m.label()).containsExactly(w);
        }
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> Merge.parse("average")).hasMessageContaining("mean, coordmedian or geomedian")
                .hasMessageContaining("average");
        assertThatThrownBy(() -> Merge.MEAN.merge(List.of(new float[2], new float[3]), new double[] {1, 1}))
                .hasMessageContaining("3 values");
        assertThatThrownBy(() -> Merge.MEAN.merge(List.of(new float[2]), new double[] {-1}))
                .hasMessageContaining("weight 0");
    }
}
