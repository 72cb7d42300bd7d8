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
            // round 1: both contributions lost on the way
            a.dropNextContributions(1);
            b.dropNextContributions(1);
            CompletableFuture<double[]> b1 = sum(b, 1, 10);
            assertThat(a.allReduceSum(1, new double[] {1}, Duration.ofSeconds(30))).containsExactly(11);
            assertThat(b1.get(30, TimeUnit.SECONDS)).containsExactly(11);
            // round 2: only a's lost; a finishes at once and waits in round 3, and b gets a's round-2
            // contribution sent again from there
            b.dropNextContributions(1);
            CompletableFuture<double[]> b2 = sum(b, 2, 20);
            assertThat(a.allReduceSum(2, new double[] {2}, Duration.ofSeconds(30))).containsExactly(22);
            assertThat(b2).as("b waits for a's lost contribution").isNotDone();
            CompletableFuture<double[]> a3 = sum(a, 3, 3);
            assertThat(b2.get(30, TimeUnit.SECONDS)).containsExactly(22);
            assertThat(b.allReduceSum(3, new double[] {30}, Duration.ofSeconds(30))).containsExactly(33);
            assertThat(a3.get(30, TimeUnit.SECONDS)).containsExactly(33);
            // and on as usual
            CompletableFuture<double[]> b4 = sum(b, 4, 40);
            assertThat(a.allReduceSum(4, new double[] {4}, Duration.ofSeconds(30))).containsExactly(44);
            assertThat(b4.get(30, TimeUnit.SECONDS)).containsExactly(44);
        }
    }

    private static CompletableFuture<double[]> sum(JGroupsCluster member, long round, double value) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return member.allReduceSum(round, new double[] {value}, Duration.ofSeconds(30));
            } catch (ClusterException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
