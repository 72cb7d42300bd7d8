package io.samtune.core.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Walks a pickle's opcodes once before it is unpickled and refuses what no state dict needs and
 * what would make the unpickler allocate or recurse without bound: lengths (strings, bytes,
 * frames) beyond the data that follow, unknown opcodes, marks nested deeper than {@link #MAX_MARKS},
 * more memo entries than opcodes can fill. Sizes are checked before anything is allocated.
 */
final class PickleLimits {

    /** The deepest nesting of marks (tuples, lists, dicts being built) a state dict needs, with room. */
    static final int MAX_MARKS = 1000;

    private PickleLimits() {
    }

    /**
     * Checks a pickle; returns a stream over it for the unpickler.
     *
     * @throws CheckpointException naming the file, the pickle and the offending offset
     */
    static InputStream check(byte[] p, Path file, String name) throws CheckpointException {
        if (p.length == 0) {
            throw new CheckpointException(file, name + " is empty: the checkpoint is truncated or corrupt");
        }
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        int marks = 0;
        int i = 0;
        while (i < p.length) {
            int op = p[i] & 0xff;
            int at = i;
            i++;
            long skip;
            switch (op) {
                case '.' -> {
                    return new ByteArrayInputStream(p, 0, i);
                }
                case '(' -> {
                    if (++marks > MAX_MARKS) {
                        throw bad(file, name, at, "marks nested deeper than " + MAX_MARKS);
                    }
                    skip = 0;
                }
                case 't', 'l', 'd', 'e', 'u', '1', 'o', 0x90, 0x91 -> {
                    marks = Math.max(0, marks - 1);
                    skip = 0;
                }
                case '0', '2', 'N', 'R', ']', 'a', 'b', '}', ')', 's', 0x85, 0x86, 0x87, 0x88, 0x89, 0x81, 0x92, 0x93,
                     'Q', 0x8f, 0x94, 0x97, 0x98 -> skip = 0;
                case 'K', 'h', 'q', 0x80, 0x82 -> skip = 1;
                case 'M', 0x83 -> skip = 2;
                case 'J', 'j', 'r', 0x84 -> skip = 4;
                case 'G' -> skip = 8;
                case 0x95 -> { // FRAME: its length must fit what follows
                    need(p, i, 8, file, name, at);
                    long len = b.getLong(i);
                    if (len < 0 || len > p.length - i - 8) {
                        throw bad(file, name, at, "a frame of " + len + " bytes where " + (p.length - i - 8) + " remain");
                    }
                    skip = 8;
                }
                case 'U', 'C', 0x8c, 0x8a -> {
                    need(p, i, 1, file, name, at);
                    skip = 1 + (p[i] & 0xff);
                }
                case 'T', 'X', 'B', 0x8b -> {
                    need(p, i, 4, file, name, at);
                    long len = b.getInt(i) & 0xffffffffL;
                    skip = 4 + len;
                }
                case 0x8d, 0x8e, 0x96 -> {
                    need(p, i, 8, file, name, at);
                    long len = b.getLong(i);
                    if (len < 0) {
                        throw bad(file, name, at, "a negative length");
                    }
                    skip = 8 + len;
                }
                case 'I', 'L', 'F', 'S', 'V', 'P', 'g', 'p' -> skip = lineEnd(p, i, file, name, at) - i + 1;
                case 'c', 'i' -> {
                    int first = lineEnd(p, i, file, name, at);
                    skip = lineEnd(p, first + 1, file, name, at) - i + 1;
                }
                default -> throw bad(file, name, at, "unknown opcode 0x" + Integer.toHexString(op));
            }
            if (skip > p.length - i) {
                throw bad(file, name, at, "a value of " + skip + " bytes where " + (p.length - i) + " remain");
            }
            i += (int) skip;
        }
        throw new CheckpointException(file, name + " ends without its STOP opcode: the checkpoint is truncated");
    }

    private static void need(byte[] p, int i, int n, Path file, String name, int at) throws CheckpointException {
        if (p.length - i < n) {
            throw bad(file, name, at, "an argument cut off by the end of the data");
        }
    }

    private static int lineEnd(byte[] p, int from, Path file, String name, int at) throws CheckpointException {
        for (int j = from; j < p.length && j < from + 4096; j++) {
            if (p[j] == '\n') {
                return j;
            }
        }
        throw bad(file, name, at, "a text argument without its end of line");
    }

    private static CheckpointException bad(Path file, String name, int at, String what) {
        return new CheckpointException(file, "malformed pickle in " + name + " at byte " + at + ": " + what
                + "; save the checkpoint again with torch.save(model.state_dict(), f)");
    }
}
