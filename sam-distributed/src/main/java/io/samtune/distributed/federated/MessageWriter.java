package io.samtune.distributed.federated;

import static io.samtune.distributed.federated.Messages.*;

import io.samtune.distributed.federated.Messages.*;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the federation's {@link Messages}: a type byte, then the fields in network order, float
 * vectors as a count and little-endian float32, counted first and then written into an array of
 * exactly their size.
 */
final class MessageWriter {

    private MessageWriter() {
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
                out.writeInt(c.owners());
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

    private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
        out.writeInt(strings.size());
        for (String s : strings) {
            out.writeUTF(s);
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeShort(b.length);
        out.write(b);
    }

    static void writeFloats(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        out.write(b.array());
    }
}
