package io.samtune.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two members on 127.0.0.1 meet in a shared folder, sum in rounds, and notice a member leaving. */
class JGroupsClusterTest {

    @TempDir
    Path tmp;

    private ClusterConfig member(String name) {
        return new ClusterConfig("samtune-test-" + tmp.getFileName(), name, "127.0.0.1", 7800, 50, tmp.resolve("rendezvous"),
                List.of(), 2000, null);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void membersSumInRoundsAndALeavingMemberStopsTheOthers() throws Exception {
        try (JGroupsCluster a = JGroupsCluster.join(member("rank-0"))) {
            JGroupsCluster b = JGroupsCluster.join(member("rank-1"));
            try {
                a.awaitMembers(2, Duration.ofSeconds(30));
                b.awaitMembers(2, Duration.ofSeconds(30));
                assertThat(a.members()).containsExactly("rank-0", "rank-1");
                for (long round = 1; round <= 3; round++) {
                    double[] va = {round, 0.1, -2};
                    double[] vb = {10 * round, 0.2, 2};
                    long r = round;
                    CompletableFuture<double[]> fb = CompletableFuture.supplyAsync(() -> {
                        try {
                            return b.allReduceSum(r, vb, Duration.ofSeconds(30));
                        } catch (ClusterException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    double[] sa = a.allReduceSum(round, va, Duration.ofSeconds(30));
                    double[] sb = fb.get(30, TimeUnit.SECONDS);
                    assertThat(sa).containsExactly(11 * round, 0.1 + 0.2, 0);
                    assertThat(sb).containsExactly(sa); // the same additions in the same order: the same bits
                }
            } finally {
                b.close();
            }
            long t0 = System.nanoTime();
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                    () -> a.allReduceSum(4, new double[] {1}, Duration.ofSeconds(30)));
            assertThat(t).isInstanceOf(ClusterException.class).hasMessageContaining("rank-1");
            assertThat((System.nanoTime() - t0) / 1e9).as("seconds to notice").isLessThan(30);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aMissingMemberIsReportedAfterTheTimeout() throws Exception {
        try (JGroupsCluster a = JGroupsCluster.join(member("rank-0"))) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                    () -> a.awaitMembers(2, Duration.ofSeconds(2)));
            assertThat(t).isInstanceOf(ClusterException.class).hasMessageContaining("1 of 2 members")
                    .hasMessageContaining("rank-0");
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aLostContributionIsSentAgainAndTheRoundsGoOn() throws Exception {
        try (JGroupsCluster a = JGroupsCluster.join(member("rank-0")); JGroupsCluster b = JGroupsCluster.join(member("rank-1"))) {
            a.awaitMembers(2, Duration.ofSeconds(30));
            b.awaitMembers(2, Duration.ofSeconds(30));
            // round 1: both contributions lost on the way; round 2: only a's, so a goes on to round 3
            // while b still waits in round 2 for what a sends again from there
            a.dropContributions(1, 1);
            b.dropContributions(1, 1);
            b.dropContributions(2, 1);
            // each member goes from round to round as a training worker does, in its own thread
            CompletableFuture<List<Double>> fromA = rounds(a, 1);
            CompletableFuture<List<Double>> fromB = rounds(b, 10);
            List<Double> expected = List.of(11.0, 22.0, 33.0, 44.0);
            assertThat(fromA.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
            assertThat(fromB.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
        }
    }

    /** Rounds 1 to 4, contributing {@code round x unit} to each; returns the sums. */
    private static CompletableFuture<List<Double>> rounds(JGroupsCluster member, double unit) {
        return CompletableFuture.supplyAsync(() -> {
            List<Double> sums = new java.util.ArrayList<>();
            try {
                for (long round = 1; round <= 4; round++) {
                    sums.add(member.allReduceSum(round, new double[] {round * unit}, Duration.ofSeconds(30))[0]);
                }
            } catch (ClusterException e) {
                throw new IllegalStateException(e);
            }
            return sums;
        });
    }
}
