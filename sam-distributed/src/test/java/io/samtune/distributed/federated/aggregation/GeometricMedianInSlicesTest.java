package io.samtune.distributed.federated.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.samtune.cluster.collective.ChunkLayout;
import io.samtune.distributed.federated.aggregation.Aggregation.SiteUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The geometric median split by coordinates among owners that exchange their partial sums at every
 * step: one owner gives the merge at one site bit for bit, several give it within 1e-6, and every
 * owner stops at the same step.
 */
class GeometricMedianInSlicesTest {

    /** Runs the iteration over {@code owners} slices as the owners would, exchanging sums in owner order. */
    private static float[] inSlices(List<SiteUpdate> updates, int owners, int[] steps) {
        int n = updates.get(0).values().length;
        ChunkLayout layout = ChunkLayout.of(n, owners);
        List<GeometricMedian.InSlices> slices = new ArrayList<>();
        for (int j = 0; j < owners; j++) {
            List<SiteUpdate> part = new ArrayList<>();
            for (SiteUpdate u : updates) {
                part.add(new SiteUpdate(u.site(), Arrays.copyOfRange(u.values(), layout.chunkStart(j), layout.chunkEnd(j)),
                        u.weight()));
            }
            slices.add(new GeometricMedian.InSlices(part));
        }
        boolean[] done = new boolean[owners];
        while (!done[0]) {
            List<double[]> byOwner = new ArrayList<>();
            for (GeometricMedian.InSlices s : slices) {
                byOwner.add(s.partials());
            }
            double[] totals = GeometricMedian.InSlices.sum(byOwner);
            for (int j = 0; j < owners; j++) {
                done[j] = slices.get(j).advance(totals);
            }
            for (int j = 1; j < owners; j++) {
                assertThat(done[j]).as("every owner ends at the same step").isEqualTo(done[0]);
            }
        }
        steps[0] = slices.get(0).steps();
        double[] again = GeometricMedian.InSlices.sum(List.of(slices.get(0).partials()));
        float[] first = slices.get(0).result();
        assertThat(slices.get(0).advance(again)).as("an ended iteration stays ended").isTrue();
        assertThat(slices.get(0).steps()).isEqualTo(steps[0]);
        assertThat(slices.get(0).result()).containsExactly(first);
        float[] out = new float[n];
        for (int j = 0; j < owners; j++) {
            float[] part = slices.get(j).result();
            System.arraycopy(part, 0, out, layout.chunkStart(j), part.length);
        }
        return out;
    }

    private static List<SiteUpdate> sites(Random r, int sites, int n) {
        List<SiteUpdate> out = new ArrayList<>();
        for (int k = 0; k < sites; k++) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (r.nextGaussian() * 0.05 + (k == sites - 1 ? 3.0 : 0.0)); // the last site an outlier
            }
            out.add(new SiteUpdate("site-" + k, v, 1 + r.nextInt(40)));
        }
        return out;
    }

    @Test
    void oneOwnerIsTheMergeAtOneSiteBitForBitAndSeveralAreWithin1e6() {
        Random r = new Random(3);
        for (int trial = 0; trial < 6; trial++) {
            int sites = 3 + trial % 3;
            int n = new int[] {1, 7, 1000, 4099}[trial % 4];
            List<SiteUpdate> updates = sites(r, sites, n);
            float[] atOneSite = new GeometricMedian().aggregate(trial, new float[n], updates, AggregationState.EMPTY).global();
            int[] steps = new int[1];
            assertThat(inSlices(updates, 1, steps)).as("one owner, trial %d", trial).containsExactly(atOneSite);
            for (int owners : new int[] {2, 3, Math.min(n, 8)}) {
                float[] split = inSlices(updates, owners, steps);
                for (int i = 0; i < n; i++) {
                    assertThat((double) split[i]).as("%d owners, trial %d, value %d", owners, trial, i)
                            .isCloseTo(atOneSite[i], org.assertj.core.data.Offset.offset(1e-6));
                }
                assertThat(steps[0]).isBetween(1, GeometricMedian.InSlices.LAST_STEP);
            }
        }
    }

    @Test
    void theOutlierDoesNotDrawTheMedianAsItDrawsTheMean() {
        List<SiteUpdate> updates = sites(new Random(5), 5, 64);
        float[] median = inSlices(updates, 4, new int[1]);
        float[] mean = new WeightedMean().aggregate(0, new float[64], updates, AggregationState.EMPTY).global();
        double medianMax = 0;
        double meanMax = 0;
        for (int i = 0; i < 64; i++) {
            medianMax = Math.max(medianMax, Math.abs(median[i]));
            meanMax = Math.max(meanMax, Math.abs(mean[i]));
        }
        assertThat(medianMax).as("the median stays with the four honest sites").isLessThan(0.5);
        assertThat(meanMax).isGreaterThan(0.3);
    }

    @Test
    void badSumsAndAnUnfinishedIterationAreRefused() {
        GeometricMedian.InSlices s = new GeometricMedian.InSlices(sites(new Random(1), 3, 4));
        assertThat(s.partialCount()).isEqualTo(5);
        assertThatThrownBy(() -> s.advance(new double[4])).hasMessageContaining("sums of 4 values, expected 5");
        assertThatThrownBy(s::result).hasMessageContaining("has not ended");
        assertThatThrownBy(() -> GeometricMedian.InSlices.sum(List.of(new double[5], new double[4])))
                .hasMessageContaining("partial sums of 4 values, expected 5");
        assertThatThrownBy(() -> new GeometricMedian.InSlices(List.of())).hasMessageContaining("no site updates");
    }
}
