package io.samtune.cluster.collective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.samtune.cluster.ClusterException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The all-reduce among members in one JVM, over links that deliver frames in memory: every member
 * ends with identical bits, equal to a serial sum in member order, for lengths that do not divide
 * evenly and 1 to 8 members; frames lost or late do not stall a round; a member that leaves, stays
 * silent or sends another length is named.
 */
class ReduceScatterAllGatherTest {

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Group> groups = new ArrayList<>();

    @AfterEach
    void stop() {
        groups.forEach(Group::close);
        pool.shutdownNow();
    }

    /** Members that deliver each other's frames in memory, each through a filter that may drop them. */
    private final class Group {
        final List<String> names = new ArrayList<>();
        final List<ReduceScatterAllGather> members = new ArrayList<>();
        final Set<String> left = ConcurrentHashMap.newKeySet();
        final AtomicLong bytes = new AtomicLong();
        /** (to, frame) -> deliver it. */
        volatile BiPredicate<String, byte[]> deliver = (to, frame) -> true;
        /** Members whose sends fail, as a broken connection would. */
        final Set<String> broken = ConcurrentHashMap.newKeySet();

        Group(int n, int segmentValues) {
            this(n, new int[] {segmentValues});
        }

        /** Member {@code i} cuts segments of {@code segmentValues[i % length]} values. */
        Group(int n, int[] segmentValues) {
            for (int i = 0; i < n; i++) {
                names.add(String.format(Locale.ROOT, "rank-%04d", i));
            }
            for (int i = 0; i < n; i++) {
                String self = names.get(i);
                members.add(new ReduceScatterAllGather(new PeerLink() {
                    @Override
                    public String self() {
                        return self;
                    }

                    @Override
                    public List<String> world() {
                        return names;
                    }

                    @Override
                    public boolean hasLeft(String member) {
                        return left.contains(member);
                    }

                    @Override
                    public int headroom() {
                        return 3;
                    }

                    @Override
                    public void send(String to, byte[] frame) throws ClusterException {
                        if (broken.contains(self)) {
                            throw new ClusterException("connection of " + self + " to " + to + " reset");
                        }
                        bytes.addAndGet(frame.length);
                        if (deliver.test(to, frame)) {
                            members.get(names.indexOf(to)).receive(self, frame.clone());
                        }
                    }
                }, segmentValues[i % segmentValues.length]));
            }
            groups.add(this);
        }

        /** Every member sums its vector for {@code round}; returns the results in member order. */
        List<float[]> sum(long round, List<float[]> inputs, Duration timeout) throws Exception {
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < members.size(); i++) {
                int m = i;
                results.add(pool.submit(() -> members.get(m).sum(round, inputs.get(m), timeout)));
            }
            List<float[]> out = new ArrayList<>();
            for (Future<float[]> f : results) {
                out.add(f.get(120, TimeUnit.SECONDS));
            }
            return out;
        }

        void close() {
            members.forEach(ReduceScatterAllGather::close);
        }
    }

    private static List<float[]> inputs(int members, int length, long seed) {
        Random r = new Random(seed);
        List<float[]> in = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            float[] v = new float[length];
            for (int i = 0; i < length; i++) {
                // magnitudes over forty decades: even summed in double, the order of additions shows in the bits
                v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(41) - 20));
            }
            in.add(v);
        }
        return in;
    }

    /** The serial sum: member by member in the given order, in double, rounded once. */
    private static float[] serial(List<float[]> inputs, int[] order) {
        int length = inputs.get(0).length;
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            double s = 0;
            for (int m : order) {
                s += inputs.get(m)[i];
            }
            out[i] = (float) s;
        }
        return out;
    }

    private static int[] order(int members, boolean reversed) {
        int[] o = new int[members];
        for (int i = 0; i < members; i++) {
            o[i] = reversed ? members - 1 - i : i;
        }
        return o;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyMemberHoldsTheSerialSumBitForBit() throws Exception {
        for (int members = 1; members <= 8; members++) {
            for (int length : new int[] {0, 1, 7, members - 1, 1000}) {
                for (int segment : new int[] {3, ChunkLayout.DEFAULT_SEGMENT_VALUES}) {
                    Group g = new Group(members, segment);
                    for (long round = 5; round <= 6; round++) { // two rounds on one group
                        List<float[]> in = inputs(members, length, 31L * members + length + round);
                        float[] expected = serial(in, order(members, false));
                        List<float[]> out = g.sum(round, in, Duration.ofSeconds(30));
                        for (int m = 0; m < members; m++) {
                            assertThat(Arrays.equals(out.get(m), expected))
                                    .as("member %d of %d, length %d, segments of %d", m, members, length, segment)
                                    .isTrue();
                        }
                    }
                    g.close();
                }
            }
        }
    }

    @Test
    @Tag("large")
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aDecoderSizedVectorIsSummedIdenticallyAndEachMemberSendsItsShare() throws Exception {
        int length = 4_060_000 + 3;
        for (int members : new int[] {2, 3, 8}) {
            Group g = new Group(members, ChunkLayout.DEFAULT_SEGMENT_VALUES);
            List<float[]> in = inputs(members, length, members);
            float[] expected = serial(in, order(members, false));
            if (members > 2) { // the order of additions matters for these values: another order gives other bits
                assertThat(Arrays.equals(expected, serial(in, order(members, true)))).isFalse();
            }
            List<float[]> out = g.sum(1, in, Duration.ofSeconds(60));
            for (float[] o : out) {
                assertThat(Arrays.equals(o, expected)).isTrue();
            }
            // each member sends 2 (N-1)/N of the vector as float32, plus small headers
            double payload = 2.0 * (members - 1) / members * length * 4;
            assertThat(g.bytes.get() / (double) members).isBetween(payload, payload * 1.001);
            g.close();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void lostFramesAreAskedForAgainAndTheRoundsGoOn() throws Exception {
        Group g = new Group(3, 4);
        // the first two data frames of round 1 to rank-0001 and the first reduced frame of round 2 to rank-0002 are lost
        int[] lost = {0, 0};
        g.deliver = (to, frame) -> {
            long round = java.nio.ByteBuffer.wrap(frame, 4, 8).getLong();
            byte kind = frame[3];
            synchronized (lost) {
                if (round == 1 && to.equals("rank-0001") && kind != ReduceScatterAllGather.REQUEST && lost[0] < 2) {
                    lost[0]++;
                    return false;
                }
                if (round == 2 && to.equals("rank-0002") && kind == ReduceScatterAllGather.REDUCED && lost[1] < 1) {
                    lost[1]++;
                    return false;
                }
            }
            return true;
        };
        for (long round = 1; round <= 3; round++) {
            List<float[]> in = inputs(3, 10, round);
            float[] expected = serial(in, order(3, false));
            for (float[] o : g.sum(round, in, Duration.ofSeconds(30))) {
                assertThat(Arrays.equals(o, expected)).isTrue();
            }
        }
        assertThat(lost).containsExactly(2, 1);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aMemberThatFinishedAnswersForTheRoundBefore() throws Exception {
        Group g = new Group(2, 100);
        // rank-0000's reduced chunk of round 1 never reaches rank-0001 the first time; rank-0000 is
        // already in round 2 when it is asked again, and answers from round 1's copy
        g.deliver = (to, frame) -> !(to.equals("rank-0001") && frame[3] == ReduceScatterAllGather.REDUCED
                && java.nio.ByteBuffer.wrap(frame, 4, 8).getLong() == 1 && dropOnce.getAndIncrement() == 0);
        List<float[]> in = inputs(2, 10, 7);
        Future<float[]> first = pool.submit(() -> g.members.get(0).sum(1, in.get(0), Duration.ofSeconds(30)));
        Future<float[]> second = pool.submit(() -> g.members.get(1).sum(1, in.get(1), Duration.ofSeconds(30)));
        float[] expected = serial(in, order(2, false));
        assertThat(Arrays.equals(first.get(30, TimeUnit.SECONDS), expected)).isTrue();
        List<float[]> next = inputs(2, 10, 8);
        Future<float[]> firstNext = pool.submit(() -> g.members.get(0).sum(2, next.get(0), Duration.ofSeconds(30)));
        assertThat(Arrays.equals(second.get(30, TimeUnit.SECONDS), expected)).isTrue();
        float[] secondNext = g.members.get(1).sum(2, next.get(1), Duration.ofSeconds(30));
        assertThat(Arrays.equals(firstNext.get(30, TimeUnit.SECONDS), secondNext)).isTrue();
        assertThat(Arrays.equals(secondNext, serial(next, order(2, false)))).isTrue();
    }

    private final AtomicLong dropOnce = new AtomicLong();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aMemberThatLeftIsNamedAtOnce() throws Exception {
        Group g = new Group(3, 4);
        g.left.add("rank-0002");
        long t0 = System.nanoTime();
        Throwable t = catchThrowable(() -> g.members.get(0).sum(1, new float[10], Duration.ofSeconds(30)));
        assertThat(t).isInstanceOf(ClusterException.class).hasMessageContaining("rank-0002 left")
                .hasMessageContaining("round 1");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSilentMemberIsNamedAfterTheTimeout() throws Exception {
        Group g = new Group(3, 4);
        Future<float[]> other = pool.submit(() -> g.members.get(1).sum(1, new float[10], Duration.ofSeconds(3)));
        Throwable t = catchThrowable(() -> g.members.get(0).sum(1, new float[10], Duration.ofSeconds(3)));
        assertThat(t).isInstanceOf(ClusterException.class).hasMessageContaining("no contribution from rank-0002")
                .hasMessageContaining("round 1 within 3 s");
        assertThat(catchThrowable(() -> other.get(30, TimeUnit.SECONDS))).hasRootCauseInstanceOf(ClusterException.class)
                .hasMessageContaining("rank-0002");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aMemberWithAnotherLengthIsNamed() throws Exception {
        Group g = new Group(2, 4);
        Future<float[]> other = pool.submit(() -> g.members.get(1).sum(1, new float[9], Duration.ofSeconds(10)));
        Throwable t = catchThrowable(() -> g.members.get(0).sum(1, new float[10], Duration.ofSeconds(10)));
        assertThat(t).isInstanceOf(ClusterException.class)
                .hasMessageContaining("member rank-0001 sent a vector of 9 values to round 1, this member 10");
        assertThat(catchThrowable(() -> other.get(30, TimeUnit.SECONDS)))
                .hasMessageContaining("member rank-0000 sent a vector of 10 values to round 1, this member 9");
    }

    @Test
    void roundsMustIncreaseAndMalformedFramesAreIgnored() throws Exception {
        Group g = new Group(2, 4);
        g.sum(3, inputs(2, 5, 1), Duration.ofSeconds(10));
        assertThat(catchThrowable(() -> g.members.get(0).sum(3, new float[5], Duration.ofSeconds(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("round 3 follows round 3");
        // frames too short, of an unknown kind or negative fields change nothing
        g.members.get(0).receive("rank-0001", new byte[5]);
        byte[] odd = new byte[3 + 21 + 4];
        odd[3] = 9;
        g.members.get(0).receive("rank-0001", odd);
        List<float[]> in = inputs(2, 5, 2);
        List<float[]> out = g.sum(4, in, Duration.ofSeconds(10));
        assertThat(Arrays.equals(out.get(0), serial(in, order(2, false)))).isTrue();
        assertThat(g.members.get(0).toString()).contains("rank-0000", "segments of 4 values");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void membersThatCutSegmentsDifferentlyAreNamed() throws Exception {
        Group g = new Group(2, new int[] {4, 3});
        Future<float[]> other = pool.submit(() -> g.members.get(1).sum(1, new float[10], Duration.ofSeconds(10)));
        Throwable t = catchThrowable(() -> g.members.get(0).sum(1, new float[10], Duration.ofSeconds(10)));
        assertThat(t).isInstanceOf(ClusterException.class).hasMessageContaining("member rank-0001 sent segment 0 of"
                + " round 1 with 3 values, expected 4").hasMessageContaining("cut vectors differently");
        assertThat(catchThrowable(() -> other.get(30, TimeUnit.SECONDS))).hasMessageContaining("rank-0000");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFailedSendStopsTheRoundWithItsReason() throws Exception {
        Group g = new Group(2, 4);
        g.broken.add("rank-0000");
        Future<float[]> other = pool.submit(() -> g.members.get(1).sum(1, new float[10], Duration.ofSeconds(5)));
        Throwable t = catchThrowable(() -> g.members.get(0).sum(1, new float[10], Duration.ofSeconds(30)));
        assertThat(t).isInstanceOf(ClusterException.class).hasMessage("connection of rank-0000 to rank-0001 reset");
        assertThat(catchThrowable(() -> other.get(30, TimeUnit.SECONDS))).hasMessageContaining(
                "no contribution from rank-0000");
    }

    @Test
    void oneMemberReturnsACopy() throws Exception {
        Group g = new Group(1, 4);
        float[] v = {1, 2, 3};
        float[] s = g.members.get(0).sum(1, v, Duration.ofSeconds(1));
        assertThat(s).containsExactly(1, 2, 3).isNotSameAs(v);
    }
}
