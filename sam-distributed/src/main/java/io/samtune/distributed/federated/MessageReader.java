package io.samtune.distributed.federated;

import static io.samtune.distributed.federated.Messages.*;

import io.samtune.distributed.federated.Messages.*;
import io.samtune.distributed.federated.aggregation.AggregationState;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the federation's {@link Messages} in place: every count read from the wire is checked
 * against the bytes that remain before anything is allocated, so a hostile message costs at most
 * its own size.
 */
final class MessageReader {

    private static final int MAX_STRING = 4096;
    private static final int MAX_ENTRIES = 1024;
    private static final int MAX_BUFFERS = 8;

    private MessageReader() {
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

    /**
     * The message in {@code length} bytes of {@code bytes} from {@code offset} (read in place).
     *
     * @throws IOException when it is not a message of this federation (truncated, a count beyond
     *     its bytes, an unknown type, bytes left over)
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
                case SLICE -> new Slice(in.readLong(), in.readInt(), in.readInt(), readFloats(in));
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

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int n = count(in.readInt(), MAX_ENTRIES, "names");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(readString(in));
        }
        return List.copyOf(out);
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
