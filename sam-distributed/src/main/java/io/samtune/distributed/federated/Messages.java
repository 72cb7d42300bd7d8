package io.samtune.distributed.federated;

import io.samtune.distributed.federated.aggregation.AggregationState;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The federation's messages: their types and type bytes. {@link MessageWriter} writes them (a type
 * byte, then the fields in network order, float vectors as a count and little-endian float32) and
 * {@link MessageReader} reads them, checking every count against the bytes left before allocating;
 * whether a message is believed is the receiver's business ({@link RoundIntake}).
 */
final class Messages {

    /** The last round a site may say it holds or merge: far beyond any federation's, and never near overflow. */
    static final long MAX_ROUND = Integer.MAX_VALUE;


    static final byte HELLO = 1;
    static final byte REFUSE = 2;
    static final byte CONTRIBUTION = 3;
    static final byte MERGED = 4;
    static final byte SCORE = 5;
    static final byte DONE = 6;
    static final byte LATEST = 7;
    static final byte OFFER = 8;
    static final byte PLAN = 9;
    static final byte SLICE = 10;
    static final byte PART = 11;
    static final byte HAVE = 12;
    static final byte NEED = 13;
    static final byte DISTANCES = 14;

    /** A message of the federation. */
    sealed interface Message permits Hello, Refuse, Contribution, Merged, Score, Done, Latest, Offer, Plan, Slice,
            Part, Have, Need, Distances {
    }

    /**
     * A site's greeting: the settings every site must share, the latest merged round it holds, the
     * validation slices it scores, and the session of the site it answers (empty in a first
     * hello): signing the receiver's fresh session proves the sender holds its key now, so a
     * recorded hello proves nothing.
     */
    record Hello(byte[] echo, long latest, int validationSize, Map<String, String> compatibility)
            implements Message {
    }

    /** Why a site refused the receiver, and the receiver's session it answers. */
    record Refuse(String why, byte[] echo) implements Message {
    }

    /** A site's weights after its local steps of a round and the samples it trained on since the last. */
    record Contribution(long round, long samples, boolean finished, float[] values) implements Message {
    }

    /** A round's merged weights, the sites merged, and the aggregation's state after it. */
    record Merged(long round, boolean allFinished, List<String> sites, float[] values, AggregationState state)
            implements Message {
    }

    /** A site's validation Dice of a round's merged decoder over its validation slices. */
    record Score(long round, double dice, int count) implements Message {
    }

    /** A site has taken over the last round's decoder. */
    record Done(long round) implements Message {
    }

    /** Asks for the latest merged decoder. */
    record Latest() implements Message {
    }

    /** A sharded round: a site has its weights ready, trained on {@code samples} since the last round. */
    record Offer(long round, long samples, boolean finished) implements Message {
    }

    /** A sharded round's plan, from the site whose turn it is: the sites merged (name order), the owners of the slices. */
    record Plan(long round, List<String> sites, List<String> owners) implements Message {
    }

    /**
     * A site's weights in slice {@code index} of {@code owners} slices of a sharded round, sent to
     * that slice's owner: the slice says which cut it belongs to, so its length proves by itself
     * whether it is one.
     */
    record Slice(long round, int index, int owners, float[] values) implements Message {
    }

    /** Slice {@code index} of a round's merge, from its owner, with the strategy's state in that slice. */
    record Part(long round, int index, float[] values, List<float[]> state, long stateRounds) implements Message {
    }

    /** A site holds every part of a round's merge; the SHA-256 of the merged weights. */
    record Have(long round, byte[] sha256) implements Message {
    }

    /**
     * A site cannot complete the sharded round: every site falls back to merging it at one site.
     * When a site's slice was refused, {@code evidence} is that slice as its sender sealed it, so
     * that every site can check it and leave the sender out too (else empty).
     */
    record Need(long round, String why, byte[] evidence) implements Message {
    }

    /**
     * A slice owner's partial sums of one step of the geometric median's iteration over its slice
     * (see {@code GeometricMedian.InSlices}): sent to the other owners, who add them up in owner order.
     */
    record Distances(long round, int index, int step, double[] partials) implements Message {
    }
    private Messages() {
    }

    /** The bytes of {@code m} ({@link MessageWriter}). */
    static byte[] encode(Message m) {
        return MessageWriter.encode(m);
    }

    /** The size of {@code m}'s bytes. */
    static int size(Message m) {
        return MessageWriter.size(m);
    }

    /** Writes {@code m}'s bytes to {@code out}. */
    static void write(Message m, MessageWriter.Out out) {
        MessageWriter.write(m, out);
    }

    /**
     * The message in {@code bytes} ({@link MessageReader}).
     *
     * @throws IOException when it is not a message of this federation
     */
    static Message decode(byte[] bytes) throws IOException {
        return MessageReader.decode(bytes, 0, bytes.length);
    }

    /**
     * The message in {@code length} bytes of {@code bytes} from {@code offset}, read in place.
     *
     * @throws IOException when it is not a message of this federation
     */
    static Message decode(byte[] bytes, int offset, int length) throws IOException {
        return MessageReader.decode(bytes, offset, length);
    }

    /** The type byte of an encoded message, or -1. */
    static byte typeOf(byte[] bytes) {
        return bytes.length == 0 ? -1 : bytes[0];
    }
}
