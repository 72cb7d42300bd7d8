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
    private static final int MAX_STRING = 4096;
    private static final int MAX_ENTRIES = 1024;
    private static final int MAX_BUFFERS = 8;

    /** A message of the federation. */
    sealed interface Message permits Hello, Refuse, Contribution, Merged, Score, Done, Latest, Offer, Plan, Slice,
            Part, Have, Need {
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

    private Messages() {
    }

    @FunctionalInterface
    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** The bytes of {@code m}. */
    static byte[] encode(Message m) {
        if (m instanceof Hello h) {
            return bytes(HELLO, out -> {
                writeBytes(out, h.echo());
                out.writeLong(h.latest());
                out.writeInt(h.validationSize());
                out.writeInt(h.compatibility().size());
                for (Map.Entry<String, String> e : new TreeMap<>(h.compatibility()).entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeUTF(e.getValue());
                }
            });
        }
        if (m instanceof Refuse r) {
            return bytes(REFUSE, out -> {
                out.writeUTF(r.why());
                writeBytes(out, r.echo());
            });
        }
        if (m instanceof Contribution c) {
            return bytes(CONTRIBUTION, out -> {
                out.writeLong(c.round());
                out.writeLong(c.samples());
                out.writeBoolean(c.finished());
                writeFloats(out, c.values());
            });
        }
        if (m instanceof Merged g) {
            return bytes(MERGED, out -> {
                out.writeLong(g.round());
                out.writeBoolean(g.allFinished());
                out.writeInt(g.sites().size());
                for (String s : g.sites()) {
                    out.writeUTF(s);
                }
                writeFloats(out, g.values());
                out.writeLong(g.state().rounds());
                out.writeInt(g.state().buffers().size());
                for (float[] b : g.state().buffers()) {
                    writeFloats(out, b);
                }
            });
        }
        if (m instanceof Score s) {
            return bytes(SCORE, out -> {
                out.writeLong(s.round());
                out.writeDouble(s.dice());
                out.writeInt(s.count());
            });
        }
        if (m instanceof Done d) {
            return bytes(DONE, out -> out.writeLong(d.round()));
        }
        if (m instanceof Offer o) {
            return bytes(OFFER, out -> {
                out.writeLong(o.round());
                out.writeLong(o.samples());
                out.writeBoolean(o.finished());
            });
        }
        if (m instanceof Plan p) {
            return bytes(PLAN, out -> {
                out.writeLong(p.round());
                writeStrings(out, p.sites());
                writeStrings(out, p.owners());
            });
        }
        if (m instanceof Slice c) {
            return bytes(SLICE, out -> {
                out.writeLong(c.round());
                out.writeInt(c.index());
                writeFloats(out, c.values());
            });
        }
        if (m instanceof Part p) {
            return bytes(PART, out -> {
                out.writeLong(p.round());
                out.writeInt(p.index());
                writeFloats(out, p.values());
                out.writeLong(p.stateRounds());
                out.writeInt(p.state().size());
                for (float[] b : p.state()) {
                    writeFloats(out, b);
                }
            });
        }
        if (m instanceof Have h) {
            return bytes(HAVE, out -> {
                out.writeLong(h.round());
                writeBytes(out, h.sha256());
            });
        }
        if (m instanceof Need n) {
            return bytes(NEED, out -> {
                out.writeLong(n.round());
                out.writeUTF(n.why());
                out.writeInt(n.evidence().length);
                out.write(n.evidence());
            });
        }
        return bytes(LATEST, out -> { });
    }

    /**
     * The message in {@code bytes}.
     *
     * @throws IOException when it is not a message of this federation (truncated, a count beyond
     *     its bytes, an unknown type, bytes left over)
     */
    static Message decode(byte[] bytes) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
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

    private static byte[] bytes(byte type, Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(type);
            body.write(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
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
        byte[] raw = new byte[4 * n];
        in.readFully(raw);
        float[] v = new float[n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
