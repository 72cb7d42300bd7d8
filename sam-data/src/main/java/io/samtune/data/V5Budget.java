package io.samtune.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Bounds what a MATLAB v5 file may inflate to before the reader decodes it: the compressed
 * elements are inflated once into nothing, counting, and a file whose content would exceed what a
 * slice of the largest accepted side can hold is refused (a 2 MB file must not become gigabytes).
 */
final class V5Budget {

    private static final int HEADER = 128;
    private static final int MI_COMPRESSED = 15;

    private V5Budget() {
    }

    /** The most bytes a slice's content may inflate to: image (int16), mask, border and names, with room. */
    static long budget(int maxSide) {
        return (16L << 20) + 4L * maxSide * maxSide;
    }

    /**
     * Checks every top-level compressed element of a v5 file against {@link #budget}.
     *
     * @throws MatFileException if the content would inflate beyond it, or is not valid deflate data
     */
    static void check(Path file, int maxSide) throws MatFileException {
        long budget = budget(maxSide);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER) {
                return; // the reader reports a truncated header
            }
            ByteBuffer head = ByteBuffer.allocate(HEADER);
            ch.read(head, 0);
            ByteOrder order = head.get(126) == 'I' && head.get(127) == 'M' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
            long pos = HEADER;
            long inflated = 0;
            ByteBuffer tag = ByteBuffer.allocate(8).order(order);
            while (pos + 8 <= size) {
                tag.clear();
                ch.read(tag, pos);
                int type = tag.getInt(0);
                long bytes = tag.getInt(4) & 0xffffffffL;
                if ((type >>> 16) != 0) { // a small element: its data are in the tag
                    pos += 8;
                    continue;
                }
                long data = pos + 8;
                if (bytes > size - data) {
                    return; // truncated: the reader reports it
                }
                if (type == MI_COMPRESSED) {
                    inflated += inflatedSize(ch, data, bytes, budget - inflated, file);
                    pos = data + bytes;
                } else {
                    inflated += bytes;
                    pos = data + ((bytes + 7) & ~7L);
                }
                if (inflated > budget) {
                    throw tooLarge(file, budget, maxSide);
                }
            }
        } catch (IOException e) {
            if (e instanceof MatFileException m) {
                throw m;
            }
            throw new MatFileException(file, null, "cannot read the file: " + MatFileException.describe(e), e);
        }
    }

    private static long inflatedSize(FileChannel ch, long at, long length, long allowed, Path file) throws IOException {
        Inflater inflater = new Inflater();
        try (InputStream in = java.nio.channels.Channels.newInputStream(ch.position(at))) {
            byte[] input = new byte[1 << 16];
            byte[] output = new byte[1 << 16];
            long left = length;
            long out = 0;
            while (!inflater.finished()) {
                if (inflater.needsInput()) {
                    if (left == 0) {
                        break;
                    }
                    int n = in.read(input, 0, (int) Math.min(input.length, left));
                    if (n < 0) {
                        break;
                    }
                    left -= n;
                    inflater.setInput(input, 0, n);
                }
                int k = inflater.inflate(output);
                out += k;
                if (out > allowed) {
                    return out; // over the budget: the caller refuses the file
                }
                if (k == 0 && inflater.needsDictionary()) {
                    break;
                }
            }
            return out;
        } catch (DataFormatException e) {
            throw new MatFileException(file, null, "holds corrupt compressed data; the file is truncated or corrupt"
                    + " - re-download it", e);
        } finally {
            inflater.end();
        }
    }

    private static MatFileException tooLarge(Path file, long budget, int maxSide) {
        return new MatFileException(file, null, "its compressed content would inflate to more than " + (budget >> 20)
                + " MB, more than a slice of at most " + maxSide + " pixels a side holds; refused as a compression"
                + " bomb (raise --max-image-side if such slices are real)");
    }
}
