package io.samtune.distributed.federated;

import io.samtune.distributed.federated.aggregation.AggregationState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The federation's messages and their wire format: a type byte, then the fields in network order,
 * float vectors as a count and little-endian float32. Every count read from the wire is checked
 * against the bytes that remain before anything is allocated, so a hostile message costs at most
 * its own size. {@link #decode} reads what was sent; whether it is believed is the receiver's
 * business ({@link RoundCoordinator}).
 */
final class Messages {

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
    private static final int MAX_STRING = 4096;
    private static final int MAX_ENTRIES = 1024;
    private static final int MAX_BUFFERS = 8;

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

    /** A site's weights in slice {@code index} of a sharded round, sent to that slice's owner. */
    record Slice(long round, int index, float[] values) implements Message {
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

    @FunctionalInterface
    private interface Body {
        void write(Sink out) throws IOException;
    }

    /**
     * Where a message is written: counted first (nothing stored), then written into an array of
     * exactly its size, float vectors straight into it: a message of a 16 MB decoder costs one copy
     * of its values.
     */
    static final class Out extends ByteArrayOutputStream {
        private final boolean counting;

        /** An output that only counts. */
        Out() {
            super(0);
            this.counting = true;
        }

        /** An output of {@code capacity} bytes. */
        Out(int capacity) {
            super(capacity);
            this.counting = false;
        }

        @Override
        public synchronized void write(int b) {
            if (counting) {
                count++;
            } else {
                super.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            if (counting) {
                count += len;
            } else {
                super.write(b, off, len);
            }
        }

        /** Writes {@code v} as little-endian float32. */
        synchronized void floats(float[] v) {
            int bytes = Math.multiplyExact(4, v.length);
            if (!counting) {
                if (buf.length - count < bytes) {
                    buf = java.util.Arrays.copyOf(buf, Math.max(2 * buf.length, Math.addExact(count, bytes)));
                }
                ByteBuffer.wrap(buf, count, bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(v);
            }
            count += bytes;
        }

        /** The array written into (its first {@link #size()} bytes). */
        byte[] array() {
            return buf;
        }

        /** Overwrites the four bytes at {@code at} with {@code value} (network order). */
        void putInt(int at, int value) {
            ByteBuffer.wrap(buf).putInt(at, value);
        }
    }

    /** Bytes read in place. */
    private static final class In extends ByteArrayInputStream {
        In(byte[] bytes, int offset, int length) {
            super(bytes, offset, length);
        }

        synchronized float[] floats(int n) {
            float[] v = new float[n];
            ByteBuffer.wrap(buf, pos, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            pos += 4 * n;
            return v;
        }
    }

    /** A data input from bytes read in place: float vectors are read without a copy of their bytes. */
    private static final class Source extends DataInputStream {
        Source(In in) {
            super(in);
        }

        /** {@code n} little-endian float32 (their bytes are there: checked by the caller). */
        float[] floats(int n) {
            return ((In) in).floats(n);
        }
    }

    /** A data output onto an {@link Out}. */
    static final class Sink extends DataOutputStream {
        Sink(Out out) {
            super(out);
        }

        /** A count, then the values as little-endian float32. */
        void floats(float[] v) throws IOException {
            writeInt(v.length);
            ((Out) out).floats(v);
        }
    }

    /** The bytes of {@code m}. */
    static byte[] encode(Message m) {
        Out out = new Out(size(m));
        write(m, out);
        return out.array();
    }

    /** The size of {@code m}'s bytes. */
    static int size(Message m) {
        Out counter = new Out();
        write(m, counter);
        return counter.size();
    }

    /** Writes {@code m}'s bytes to {@code out}. */
    static void write(Message m, Out out) {
        Body body = body(m);
        try (Sink sink = new Sink(out)) {
            sink.writeByte(typeOf(m));
            body.write(sink);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte typeOf(Message m) {
        Class<?> c = m.getClass();
        return c == Hello.class ? HELLO : c == Refuse.class ? REFUSE : c == Contribution.class ? CONTRIBUTION
                : c == Merged.class ? MERGED : c == Score.class ? SCORE : c == Done.class ? DONE
                : c == Latest.class ? LATEST : c == Offer.class ? OFFER : c == Plan.class ? PLAN
                : c == Slice.class ? SLICE : c == Part.class ? PART : c == Have.class ? HAVE
                : c == Distances.class ? DISTANCES : NEED;
    }

    private static Body body(Message m) {
        if (m instanceof Hello h) {
            return out -> {
                writeBytes(out, h.echo());
                out.writeLong(h.latest());
                out.writeInt(h.validationSize());
                out.writeInt(h.compatibility().size());
                for (Map.Entry<String, String> e : new TreeMap<>(h.compatibility()).entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeUTF(e.getValue());
                }
            };
        }
        if (m instanceof Refuse r) {
            return out -> {
                out.writeUTF(r.why());
                writeBytes(out, r.echo());
            };
        }
        if (m instanceof Contribution c) {
            return out -> {
                out.writeLong(c.round());
                out.writeLong(c.samples());
                out.writeBoolean(c.finished());
                out.floats(c.values());
            };
        }
        if (m instanceof Merged g) {
            return out -> {
                out.writeLong(g.round());
                out.writeBoolean(g.allFinished());
                out.writeInt(g.sites().size());
                for (String s : g.sites()) {
                    out.writeUTF(s);
                }
                out.floats(g.values());
                out.writeLong(g.state().rounds());
                out.writeInt(g.state().buffers().size());
                for (float[] b : g.state().buffers()) {
                    out.floats(b);
                }
            };
        }
        if (m instanceof Score s) {
            return out -> {
                out.writeLong(s.round());
                out.writeDouble(s.dice());
                out.writeInt(s.count());
            };
        }
        if (m instanceof Done d) {
            return out -> out.writeLong(d.round());
        }
        if (m instanceof Offer o) {
            return out -> {
                out.writeLong(o.round());
                out.writeLong(o.samples());
                out.writeBoolean(o.finished());
            };
        }
        if (m instanceof Plan p) {
            return out -> {
                out.writeLong(p.round());
                writeStrings(out, p.sites());
                writeStrings(out, p.owners());
            };
        }
        if (m instanceof Slice c) {
            return out -> {
                out.writeLong(c.round());
                out.writeInt(c.index());
                out.floats(c.values());
            };
        }
        if (m instanceof Part p) {
            return out -> {
                out.writeLong(p.round());
                out.writeInt(p.index());
                out.floats(p.values());
                out.writeLong(p.stateRounds());
                out.writeInt(p.state().size());
                for (float[] b : p.state()) {
                    out.floats(b);
                }
            };
        }
        if (m instanceof Have h) {
            return out -> {
                out.writeLong(h.round());
                writeBytes(out, h.sha256());
            };
        }
        if (m instanceof Distances d) {
            return out -> {
                out.writeLong(d.round());
                out.writeInt(d.index());
                out.writeInt(d.step());
                out.writeInt(d.partials().length);
                for (double v : d.partials()) {
                    out.writeDouble(v);
                }
            };
        }
        if (m instanceof Need n) {
            return out -> {
                out.writeLong(n.round());
                out.writeUTF(n.why());
                out.writeInt(n.evidence().length);
                out.write(n.evidence());
            };
        }
        return out -> { };
    }

    /**
     * The message in {@code bytes}.
     *
     * @throws IOException when it is not a message of this federation (truncated, a count beyond
     *     its bytes, an unknown type, bytes left over)
     */
    static Message decode(byte[] bytes) throws IOException {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * The message in {@code length} bytes of {@code bytes} from {@code offset} (read in place).
     *
     * @throws IOException as {@link #decode(byte[])}
     */
    static Message decode(byte[] bytes, int offset, int length) throws IOException {
        try (Source in = new Source(new In(bytes, offset, length))) {
            byte type = in.readByte();
            Message m = switch (type) {
                case HELLO -> {
                    byte[] echo = readBytes(in);
                    long latest = in.readLong();
                    int validationSize = in.readInt();
                    int n = count(in.readInt(), MAX_ENTRIES, "settings");
                    Map<String, String> compatibility = new TreeMap<>();
                    for (int i = 0; i < n; i++) {
                        compatibility.put(readString(in), readString(in));
                    }
                    yield new Hello(echo, latest, validationSize, compatibility);
                }
                case REFUSE -> new Refuse(readString(in), readBytes(in));
                case CONTRIBUTION -> new Contribution(in.readLong(), in.readLong(), in.readBoolean(), readFloats(in));
                case MERGED -> {
                    long round = in.readLong();
                    boolean allFinished = in.readBoolean();
                    int n = count(in.readInt(), MAX_ENTRIES, "sites");
                    List<String> sites = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        sites.add(readString(in));
                    }
                    float[] values = readFloats(in);
                    long rounds = in.readLong();
                    int buffers = count(in.readInt(), MAX_BUFFERS, "state buffers");
                    List<float[]> state = new ArrayList<>();
                    for (int i = 0; i < buffers; i++) {
                        state.add(readFloats(in));
                    }
                    if (rounds < 0) {
                        throw new IOException("a merge whose state counts " + rounds + " rounds");
                    }
                    yield new Merged(round, allFinished, List.copyOf(sites), values, new AggregationState(rounds, state));
                }
                case SCORE -> new Score(in.readLong(), in.readDouble(), in.readInt());
                case DONE -> new Done(in.readLong());
                case LATEST -> new Latest();
                case OFFER -> new Offer(in.readLong(), in.readLong(), in.readBoolean());
                case PLAN -> new Plan(in.readLong(), readStrings(in), readStrings(in));
                case SLICE -> new Slice(in.readLong(), in.readInt(), readFloats(in));
                case PART -> {
                    long round = in.readLong();
                    int index = in.readInt();
                    float[] values = readFloats(in);
                    long stateRounds = in.readLong();
                    int buffers = count(in.readInt(), MAX_BUFFERS, "state buffers");
                    List<float[]> state = new ArrayList<>();
                    for (int i = 0; i < buffers; i++) {
                        state.add(readFloats(in));
                    }
                    yield new Part(round, index, values, List.copyOf(state), stateRounds);
                }
                case HAVE -> new Have(in.readLong(), readBytes(in));
                case NEED -> {
                    long round = in.readLong();
                    String why = readString(in);
                    int n = in.readInt();
                    if (n < 0 || n > in.available()) {
                        throw new IOException("evidence of " + n + " bytes in a message of " + in.available());
                    }
                    byte[] evidence = new byte[n];
                    in.readFully(evidence);
                    yield new Need(round, why, evidence);
                }
                case DISTANCES -> {
                    long round = in.readLong();
                    int index = in.readInt();
                    int step = in.readInt();
                    int n = count(in.readInt(), MAX_ENTRIES + 2, "partial sums");
                    if (8L * n > in.available()) {
                        throw new IOException("a message with " + n + " partial sums in " + in.available() + " bytes");
                    }
                    double[] partials = new double[n];
                    for (int i = 0; i < n; i++) {
                        partials[i] = in.readDouble();
                    }
                    yield new Distances(round, index, step, partials);
                }
                default -> throw new IOException("a message of unknown type " + type);
            };
            if (in.available() > 0) {
                throw new IOException("a message of type " + type + " with " + in.available() + " bytes left over");
            }
            return m;
        } catch (java.io.EOFException e) {
            throw new IOException("a truncated message", e);
        }
    }

    /** The type byte of an encoded message, or -1. */
    static byte typeOf(byte[] bytes) {
        return bytes.length == 0 ? -1 : bytes[0];
    }

    private static int count(int n, int max, String what) throws IOException {
        if (n < 0 || n > max) {
            throw new IOException("a message with " + n + " " + what + " (at most " + max + ")");
        }
        return n;
    }

    private static String readString(DataInputStream in) throws IOException {
        String s = in.readUTF();
        if (s.length() > MAX_STRING) {
            throw new IOException("a message with a text of " + s.length() + " characters");
        }
        return s;
    }

    private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
        out.writeInt(strings.size());
        for (String s : strings) {
            out.writeUTF(s);
        }
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int n = count(in.readInt(), MAX_ENTRIES, "names");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(readString(in));
        }
        return List.copyOf(out);
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeShort(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        if (n > in.available()) {
            throw new IOException("a field of " + n + " bytes in a message of " + in.available());
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static void writeFloats(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        out.write(b.array());
    }

    static float[] readFloats(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available() / 4) {
            throw new IOException("a vector of " + n + " values in a message of " + in.available() + " bytes");
        }
        if (in instanceof Source source) {
            return source.floats(n);
        }
        byte[] raw = new byte[4 * n];
        in.readFully(raw);
        float[] v = new float[n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
