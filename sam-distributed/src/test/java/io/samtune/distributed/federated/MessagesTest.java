package io.samtune.distributed.federated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.samtune.distributed.federated.aggregation.AggregationState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire format: every message read back as written; hostile lengths refused before anything is allocated. */
class MessagesTest {

    /**
     * {@code m} written, checked to fill exactly its counted size, and read back in place from the
     * middle of a larger array (as a sealed message holds it).
     */
    private static Messages.Message again(Messages.Message m) throws IOException {
        byte[] bytes = Messages.encode(m);
        assertThat(bytes).as("written into an array of exactly its size").hasSize(Messages.size(m));
        byte[] around = new byte[bytes.length + 11];
        Arrays.fill(around, (byte) 0x7f);
        System.arraycopy(bytes, 0, around, 5, bytes.length);
        Messages.Message inPlace = Messages.decode(around, 5, bytes.length);
        assertThat(Messages.encode(inPlace)).as("read in place, written again: the same bytes").isEqualTo(bytes);
        return Messages.decode(bytes);
    }

    @Test
    void everyMessageIsReadBackAsWritten() throws IOException {
        float[] v = {1.5f, -2f, Float.MIN_VALUE, 3e38f};
        Messages.Hello h = (Messages.Hello) again(new Messages.Hello(new byte[] {1, 2, 3}, 7, 12,
                Map.of("syncEvery", "5", "merge", "{\"strategy\":\"mean\"}")));
        assertThat(h.echo()).containsExactly(1, 2, 3);
        assertThat(h.latest()).isEqualTo(7);
        assertThat(h.validationSize()).isEqualTo(12);
        assertThat(h.compatibility()).containsEntry("syncEvery", "5").hasSize(2);
        Messages.Refuse r = (Messages.Refuse) again(new Messages.Refuse("why", new byte[] {9}));
        assertThat(r.why()).isEqualTo("why");
        assertThat(r.echo()).containsExactly(9);
        Messages.Contribution c = (Messages.Contribution) again(new Messages.Contribution(3, 40, true, v));
        assertThat(c.round()).isEqualTo(3);
        assertThat(c.samples()).isEqualTo(40);
        assertThat(c.finished()).isTrue();
        assertThat(c.values()).containsExactly(v);
        Messages.Merged g = (Messages.Merged) again(new Messages.Merged(4, false, List.of("site-a", "site-b"), v,
                new AggregationState(5, List.of(new float[] {1, 2, 3, 4}))));
        assertThat(g.round()).isEqualTo(4);
        assertThat(g.allFinished()).isFalse();
        assertThat(g.sites()).containsExactly("site-a", "site-b");
        assertThat(g.values()).containsExactly(v);
        assertThat(g.state().rounds()).isEqualTo(5);
        assertThat(g.state().buffers().get(0)).containsExactly(1, 2, 3, 4);
        Messages.Score s = (Messages.Score) again(new Messages.Score(2, 0.75, 10));
        assertThat(s.dice()).isEqualTo(0.75);
        assertThat(s.count()).isEqualTo(10);
        assertThat(((Messages.Done) again(new Messages.Done(8))).round()).isEqualTo(8);
        assertThat(again(new Messages.Latest())).isInstanceOf(Messages.Latest.class);
        Messages.Offer o = (Messages.Offer) again(new Messages.Offer(6, 11, true));
        assertThat(o.round()).isEqualTo(6);
        assertThat(o.samples()).isEqualTo(11);
        assertThat(o.finished()).isTrue();
        Messages.Plan p = (Messages.Plan) again(new Messages.Plan(6, List.of("a", "b", "c"), List.of("a", "b")));
        assertThat(p.sites()).containsExactly("a", "b", "c");
        assertThat(p.owners()).containsExactly("a", "b");
        Messages.Slice sl = (Messages.Slice) again(new Messages.Slice(6, 1, 3, v));
        assertThat(sl.index()).isEqualTo(1);
        assertThat(sl.values()).containsExactly(v);
        Messages.Part pt = (Messages.Part) again(new Messages.Part(6, 2, v, List.of(v, v), 9));
        assertThat(pt.index()).isEqualTo(2);
        assertThat(pt.state()).hasSize(2);
        assertThat(pt.stateRounds()).isEqualTo(9);
        Messages.Have hv = (Messages.Have) again(new Messages.Have(6, new byte[32]));
        assertThat(hv.sha256()).hasSize(32);
        Messages.Need n = (Messages.Need) again(new Messages.Need(6, "an owner left", new byte[] {4, 5}));
        assertThat(n.why()).isEqualTo("an owner left");
        assertThat(n.evidence()).containsExactly(4, 5);
        Messages.Distances d = (Messages.Distances) again(new Messages.Distances(6, 2, 17, new double[] {0.5, 1e-300, 7}));
        assertThat(d.round()).isEqualTo(6);
        assertThat(d.index()).isEqualTo(2);
        assertThat(d.step()).isEqualTo(17);
        assertThat(d.partials()).containsExactly(0.5, 1e-300, 7);
    }

    @Test
    void hostileCountsAndTruncationsAreRefusedByWhatTheyClaim() {
        byte[] contribution = Messages.encode(new Messages.Contribution(1, 2, false, new float[] {1, 2, 3}));
        // a vector claiming two billion values in a message of a few bytes
        byte[] huge = contribution.clone();
        ByteBuffer.wrap(huge).putInt(1 + 8 + 8 + 1, 2_000_000_000);
        assertThatThrownBy(() -> Messages.decode(huge)).hasMessageContaining("a vector of 2000000000 values");
        ByteBuffer.wrap(huge).putInt(1 + 8 + 8 + 1, -1);
        assertThatThrownBy(() -> Messages.decode(huge)).hasMessageContaining("a vector of -1 values");
        assertThatThrownBy(() -> Messages.decode(Arrays.copyOf(contribution, contribution.length - 1)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Messages.decode(Arrays.copyOf(contribution, 5))).hasMessageContaining("truncated");
        byte[] longer = Arrays.copyOf(contribution, contribution.length + 3);
        assertThatThrownBy(() -> Messages.decode(longer)).hasMessageContaining("3 bytes left over");
        assertThatThrownBy(() -> Messages.decode(new byte[] {99})).hasMessageContaining("unknown type 99");
        byte[] merged = Messages.encode(new Messages.Merged(1, false, List.of("a"), new float[] {1},
                new AggregationState(0, List.of())));
        ByteBuffer.wrap(merged).putInt(1 + 8 + 1, 5000); // sites
        assertThatThrownBy(() -> Messages.decode(merged)).hasMessageContaining("5000 sites (at most 1024)");
        byte[] plan = Messages.encode(new Messages.Plan(1, List.of("a"), List.of("a")));
        ByteBuffer.wrap(plan).putInt(1 + 8, -3);
        assertThatThrownBy(() -> Messages.decode(plan)).hasMessageContaining("-3 names");
        byte[] sums = Messages.encode(new Messages.Distances(1, 0, 0, new double[] {1, 2}));
        ByteBuffer.wrap(sums).putInt(1 + 8 + 4 + 4, 1000); // partial sums claimed
        assertThatThrownBy(() -> Messages.decode(sums)).hasMessageContaining("1000 partial sums in 16 bytes");
        ByteBuffer.wrap(sums).putInt(1 + 8 + 4 + 4, 5000);
        assertThatThrownBy(() -> Messages.decode(sums)).hasMessageContaining("5000 partial sums (at most 1026)");
        assertThat(Messages.typeOf(contribution)).isEqualTo(Messages.CONTRIBUTION);
        assertThat(Messages.typeOf(new byte[0])).isEqualTo((byte) -1);
    }

    @Test
    void contributionsOfTheWrongSizeOrNotFiniteAreRefused() {
        assertThat(Contributions.refusal(new Messages.Contribution(0, 5, false, new float[3]), 3, 10)).isNull();
        assertThat(Contributions.refusal(new Messages.Contribution(0, 5, false, new float[4]), 3, 10))
                .isEqualTo("has 4 values, the decoder 3");
        assertThat(Contributions.refusal(new Messages.Contribution(0, 5, false, new float[4]), -1, 10)).isNull();
        assertThat(Contributions.refusal(new Messages.Contribution(0, -1, false, new float[3]), 3, 10))
                .isEqualTo("claims -1 samples (a round holds 0 to 10)");
        assertThat(Contributions.refusal(new Messages.Contribution(0, 11, false, new float[3]), 3, 10))
                .contains("claims 11 samples");
        assertThat(Contributions.refusal(new Messages.Contribution(0, 10, false, new float[3]), 3, 10)).isNull();
        assertThat(Contributions.refusal(new Messages.Contribution(0, 0, false, new float[] {0, Float.NaN, 0}), 3, 10))
                .isEqualTo("holds NaN at value 1");
        assertThat(Contributions.nonFinite(new float[] {1}, new AggregationState(1, List.of(new float[] {
            Float.POSITIVE_INFINITY})))).isEqualTo("holds Infinity in its aggregation state");
        assertThat(Contributions.nonFinite(new float[] {1, 2}, AggregationState.EMPTY)).isNull();
    }

    /** What a site says it holds tells merges apart by their values, by whether every site finished, and by their sites. */
    @Test
    void theDigestOfAMergeCoversItsValuesItsEndAndItsSites() {
        float[] v = {0.5f, -1f, 2f};
        Messages.Merged m = new Messages.Merged(3, false, List.of("site-a", "site-b"), v,
                AggregationState.EMPTY);
        byte[] d = ShardedMerge.digestOf(m);
        assertThat(d).hasSize(32).containsExactly(ShardedMerge.digestOf(new Messages.Merged(3, false,
                List.of("site-a", "site-b"), v.clone(), AggregationState.EMPTY)));
        assertThat(ShardedMerge.digestOf(new Messages.Merged(3, true, m.sites(), v, m.state()))).isNotEqualTo(d);
        assertThat(ShardedMerge.digestOf(new Messages.Merged(3, false, List.of("site-a"), v, m.state()))).isNotEqualTo(d);
        assertThat(ShardedMerge.digestOf(new Messages.Merged(3, false, m.sites(), new float[] {0.5f, -1f, 2.0000002f},
                m.state()))).isNotEqualTo(d);
    }
}
