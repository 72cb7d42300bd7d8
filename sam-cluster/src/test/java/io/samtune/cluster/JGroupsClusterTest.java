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
        return ClusterConfig.builder().setGroup("samtune-test-" + tmp.getFileName()).setMember(name).optPortRange(50)
                .setRendezvous(tmp.resolve("rendezvous")).optFailureTimeoutMillis(2000).build();
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
                    float[] va = {round, 0.1f, -2};
                    float[] vb = {10 * round, 0.2f, 2};
                    long r = round;
                    CompletableFuture<float[]> fb = CompletableFuture.supplyAsync(() -> {
                        try {
                            return b.allReduce().sum(r, vb, Duration.ofSeconds(30));
                        } catch (ClusterException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    float[] sa = a.allReduce().sum(round, va, Duration.ofSeconds(30));
                    float[] sb = fb.get(30, TimeUnit.SECONDS);
                    assertThat(sa).containsExactly(11 * round, 0.1f + 0.2f, 0);
                    assertThat(sb).containsExactly(sa); // the same additions in the same order: the same bits
                }
            } finally {
                b.close();
            }
            long t0 = System.nanoTime();
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                    () -> a.allReduce().sum(4, new float[] {1}, Duration.ofSeconds(30)));
            assertThat(t).isInstanceOf(ClusterException.class).hasMessageContaining("rank-1");
            assertThat((System.nanoTime() - t0) / 1e9).as("seconds to notice").isLessThan(30);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void namedChannelsShareTheGroupWithoutHearingEachOther() throws Exception {
        try (JGroupsCluster a = JGroupsCluster.join(member("rank-0"));
             JGroupsCluster b = JGroupsCluster.join(member("rank-1"))) {
            a.awaitMembers(2, Duration.ofSeconds(30));
            b.awaitMembers(2, Duration.ofSeconds(30));
            java.util.Map<String, java.util.List<String>> heard = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(4);
            // words sent before b listens on "votes" wait for its listener
            a.channel("votes").send("rank-1", "early".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (String name : java.util.List.of("", "votes", "claims")) {
                b.channel(name).setListener((from, payload) -> {
                    heard.computeIfAbsent(name, k -> java.util.Collections.synchronizedList(new java.util.ArrayList<>()))
                            .add(from + ":" + new String(payload, java.nio.charset.StandardCharsets.UTF_8));
                    all.countDown();
                });
            }
            a.channel("votes").send("rank-1", "yes".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            a.channel("claims").send(null, "slice-7".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            a.send("rank-1", "plain".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(heard.get("votes")).containsExactly("rank-0:early", "rank-0:yes");
            assertThat(heard.get("claims")).containsExactly("rank-0:slice-7");
            assertThat(heard.get("")).containsExactly("rank-0:plain");
            assertThat(a.channel("votes")).isSameAs(a.channel("votes"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.channel("x".repeat(65)))
                    .hasMessageContaining("longer than 64 bytes");
            for (int i = 0; i < Cluster.MAX_CHANNELS; i++) {
                try {
                    a.channel("c" + i);
                } catch (IllegalArgumentException e) {
                    assertThat(e).hasMessageContaining(Cluster.MAX_CHANNELS + " channels already");
                    return;
                }
            }
            org.assertj.core.api.Assertions.fail("more than " + Cluster.MAX_CHANNELS + " channels were opened");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aJoinFacingADeadMembersStaleEntryEndsWithinTheJoinTimeoutWhateverTheFailureTimeout() throws Exception {
        Path rendezvous = tmp.resolve("rendezvous");
        Path saved = tmp.resolve("saved");
        try (JGroupsCluster dead = JGroupsCluster.join(member("rank-0"))) {
            // what a member killed with -9 leaves behind: its entry, naming it the group's coordinator
            copyTree(rendezvous, saved);
        }
        copyTree(saved, rendezvous);
        ClusterConfig slowToSuspect = member("rank-1").toBuilder().optFailureTimeoutMillis(60_000)
                .optJoinTimeoutMillis(4000).build();
        long t0 = System.nanoTime();
        try (JGroupsCluster alone = JGroupsCluster.join(slowToSuspect)) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(seconds).as("a join bounded by 4 s, not by the 60 s failure timeout").isLessThan(12);
            assertThat(alone.members()).containsExactly("rank-1");
        }
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(target);
                } else {
                    java.nio.file.Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
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
            CompletableFuture<List<Float>> fromA = rounds(a, 1);
            CompletableFuture<List<Float>> fromB = rounds(b, 10);
            List<Float> expected = List.of(11f, 22f, 33f, 44f);
            assertThat(fromA.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
            assertThat(fromB.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
        }
    }

    /** Rounds 1 to 4, contributing {@code round x unit} to each; returns the sums. */
    private static CompletableFuture<List<Float>> rounds(JGroupsCluster member, float unit) {
        return CompletableFuture.supplyAsync(() -> {
            List<Float> sums = new java.util.ArrayList<>();
            try {
                for (long round = 1; round <= 4; round++) {
                    sums.add(member.allReduce().sum(round, new float[] {round * unit}, Duration.ofSeconds(30))[0]);
                }
            } catch (ClusterException e) {
                throw new IllegalStateException(e);
            }
            return sums;
        });
    }
}
