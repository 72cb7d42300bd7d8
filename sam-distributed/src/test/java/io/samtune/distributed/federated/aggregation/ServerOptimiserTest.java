package io.samtune.distributed.federated.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.distributed.federated.aggregation.Aggregation.Result;
import io.samtune.distributed.federated.aggregation.Aggregation.SiteUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FedAvgM, FedAdam and FedYogi against Reddi et al.'s formulas written out here, state carried over rounds. */
class ServerOptimiserTest {

    private static final int N = 37;
    private static final int ROUNDS = 3;

    @Test
    void fedAvgMFollowsTheFormula() {
        ServerOptimiser s = ServerOptimiser.fedAvgM(0.7, 0.9);
        Random r = new Random(21);
        float[] x = start(r);
        float[] v = new float[N];
        AggregationState state = s.initialState(N);
        for (int round = 0; round < ROUNDS; round++) {
            List<SiteUpdate> updates = around(x, r);
            Result got = s.aggregate(round, x, updates, state);
            double[] mean = mean(updates);
            float[] nextX = new float[N];
            float[] nextV = new float[N];
            for (int i = 0; i < N; i++) {
                double vi = 0.9 * v[i] + (mean[i] - x[i]);
                nextV[i] = (float) vi;
                nextX[i] = (float) (x[i] + 0.7 * vi);
            }
            close(got.global(), nextX);
            close(got.state().buffers().get(0), nextV);
            x = got.global();
            v = nextV;
            state = got.state();
        }
        assertThat(state.rounds()).isEqualTo(ROUNDS);
        assertThat(state.buffers()).hasSize(1);
    }

    @Test
    void fedAdamAndFedYogiFollowTheFormulas() {
        float[][] finals = new float[2][];
        for (ServerOptimiser s : List.of(ServerOptimiser.fedAdam(0.05, 0.9, 0.99, 1e-3),
                ServerOptimiser.fedYogi(0.05, 0.9, 0.99, 1e-3))) {
            boolean yogi = s.kind() == ServerOptimiser.Kind.FEDYOGI;
            Random r = new Random(33);
            float[] x = start(r);
            float[] m = new float[N];
            float[] v = new float[N];
            Arrays.fill(v, (float) (1e-3 * 1e-3));
            AggregationState state = s.initialState(N);
            assertThat(state.buffers().get(1)).containsExactly(v);
            for (int round = 0; round < ROUNDS; round++) {
                List<SiteUpdate> updates = around(x, r);
                Result got = s.aggregate(round, x, updates, state);
                double[] mean = mean(updates);
                float[] nextX = new float[N];
                float[] nextM = new float[N];
                float[] nextV = new float[N];
                for (int i = 0; i < N; i++) {
                    double d = mean[i] - x[i];
                    double mi = 0.9 * m[i] + 0.1 * d;
                    double vi = yogi ? v[i] - (1 - 0.99) * d * d * Math.signum(v[i] - d * d) : 0.99 * v[i] + (1 - 0.99) * d * d;
                    nextM[i] = (float) mi;
                    nextV[i] = (float) vi;
                    nextX[i] = (float) (x[i] + 0.05 * mi / (Math.sqrt(vi) + 1e-3));
                }
                close(got.global(), nextX);
                close(got.state().buffers().get(0), nextM);
                close(got.state().buffers().get(1), nextV);
                x = got.global();
                m = nextM;
                v = nextV;
                state = got.state();
            }
            assertThat(state.rounds()).as(s.name()).isEqualTo(ROUNDS);
            finals[yogi ? 1 : 0] = x;
        }
        assertThat(finals[1]).isNotEqualTo(finals[0]);
    }

    @Test
    void fedAvgMWithoutMomentumIsTheMean() {
        ServerOptimiser s = ServerOptimiser.fedAvgM(1.0, 0);
        Random r = new Random(4);
        float[] x = start(r);
        AggregationState state = s.initialState(N);
        for (int round = 0; round < ROUNDS; round++) {
            List<SiteUpdate> updates = around(x, r);
            Result got = s.aggregate(round, x, updates, state);
            close(got.global(), new WeightedMean().aggregate(round, x, updates, AggregationState.EMPTY).global());
            x = got.global();
            state = got.state();
        }
    }

    @Test
    void describeNamesEverySetting() {
        assertThat(ServerOptimiser.defaults(ServerOptimiser.Kind.FEDADAM).describe())
                .isEqualTo("fedadam (serverLr 0.01, beta1 0.9, beta2 0.99, tau 0.001)");
        assertThat(ServerOptimiser.defaults(ServerOptimiser.Kind.FEDAVGM).describe())
                .isEqualTo("fedavgm (serverLr 1, momentum 0.9)");
        assertThat(new TrimmedMean(2).describe()).isEqualTo("trimmedmean (trim 2)");
        assertThat(new GeometricMedian().describe()).isEqualTo("geomedian");
    }

    private static float[] start(Random r) {
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Three sites near x, with random weights. */
    private static List<SiteUpdate> around(float[] x, Random r) {
        List<SiteUpdate> out = new ArrayList<>();
        for (String site : List.of("site-a", "site-b", "site-c")) {
            float[] v = new float[N];
            for (int i = 0; i < N; i++) {
                v[i] = x[i] + (float) r.nextGaussian() * 0.05f;
            }
            out.add(new SiteUpdate(site, v, 1 + r.nextInt(100)));
        }
        return out;
    }

    private static double[] mean(List<SiteUpdate> updates) {
        double total = 0;
        for (SiteUpdate u : updates) {
            total += u.weight();
        }
        double[] out = new double[N];
        for (int i = 0; i < N; i++) {
            double s = 0;
            for (SiteUpdate u : updates) {
                s += u.weight() * u.values()[i];
            }
            out[i] = s / total;
        }
        return out;
    }

    /** Within 1e-6 relative (absolute below 1e-3). */
    private static void close(float[] got, float[] expected) {
        assertThat(got).hasSize(expected.length);
        for (int i = 0; i < got.length; i++) {
            double tolerance = 1e-6 * Math.max(Math.abs(expected[i]), 1e-3);
            assertThat((double) got[i]).as("value %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tolerance));
        }
    }
}
