package io.samtune.data.nifti;

import io.samtune.data.ErrorText;
import io.samtune.data.SampleFileException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads NIfTI-1 and NIfTI-2 volumes ({@code .nii}, {@code .nii.gz}) with bounded cost: the header
 * is checked against the file (its length, or a gzip file's recorded length) and against a largest
 * volume before anything is allocated, and no more bytes are inflated than the chosen channel
 * needs, so a small file that claims or inflates to gigabytes is refused in seconds.
 */
public final class NiftiReader {

    /** The default largest number of voxels in one channel: {@value}. */
    public static final long DEFAULT_MAX_VOXELS = 64L << 20;
    /** The system property that raises {@link #DEFAULT_MAX_VOXELS}. */
    public static final String MAX_VOXELS_PROPERTY = "samtune.maxVolumeVoxels";

    private NiftiReader() {
    }

    /** The largest number of voxels in one channel accepted: {@link #DEFAULT_MAX_VOXELS} unless {@value #MAX_VOXELS_PROPERTY} says otherwise. */
    public static long maxVoxels() {
        String v = System.getProperty(MAX_VOXELS_PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_MAX_VOXELS;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(MAX_VOXELS_PROPERTY + " must be a whole number >= 1, got '" + v + "'");
    }

    /**
     * Reads a file's header only.
     *
     * @throws SampleFileException naming the file and the problem
     */
    public static NiftiHeader header(Path file) throws SampleFileException {
        checkRegular(file);
        try (InputStream in = open(file)) {
            byte[] head = new byte[NiftiHeader.NIFTI2_SIZE];
            int n = in.readNBytes(head, 0, head.length);
            return NiftiHeader.parse(file, head, n);
        } catch (SampleFileException e) {
            throw e;
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    /**
     * Reads one channel of a volume, scaled by {@code scl_slope}/{@code scl_inter}.
     *
     * @param channel the channel of a 4D volume (0 for a 3D one)
     * @param maxVoxels the largest number of voxels in one channel accepted
     * @throws SampleFileException naming the file and the problem (not NIfTI, truncated, too large,
     *     an unknown datatype, a channel that does not exist, values that are not finite)
     */
    public static NiftiVolume read(Path file, int channel, long maxVoxels) throws SampleFileException {
        NiftiHeader h = header(file);
        long[] d = h.dims();
        long voxels;
        try {
            voxels = Math.multiplyExact(Math.multiplyExact(d[0], d[1]), d[2]);
        } catch (ArithmeticException e) {
            voxels = Long.MAX_VALUE;
        }
        if (voxels > maxVoxels) {
            throw new SampleFileException(file, "dim", "claims " + d[0] + "x" + d[1] + "x" + d[2] + " = " + voxels
                    + " voxels, more than the " + maxVoxels + " accepted; if the volume is real, raise the limit with"
                    + " --max-voxels N (-D" + MAX_VOXELS_PROPERTY + "=N)");
        }
        if (channel < 0 || channel >= h.channels()) {
            throw new SampleFileException(file, "dim", "has " + h.channels() + (h.channels() == 1 ? " channel" : " channels")
                    + "; channel " + channel + " does not exist (choose 0.." + (h.channels() - 1) + ")");
        }
        long channelBytes = voxels * h.bytesPerValue();
        long start = h.voxOffset() + channel * channelBytes;
        long end = start + channelBytes;
        if (voxels * (channel + 1L) > 4 * maxVoxels) {
            throw new SampleFileException(file, "dim", "channel " + channel + " lies after " + voxels * channel
                    + " other voxels, more than " + 4 * maxVoxels + " would be read to reach it; raise --max-voxels if"
                    + " the volume is real");
        }
        long total = h.voxOffset() + channelBytes * h.channels();
        long held = storedLength(file);
        if (held >= 0 && held < total) {
            throw new SampleFileException(file, null, "the header claims " + d[0] + "x" + d[1] + "x" + d[2]
                    + (h.channels() > 1 ? "x" + h.channels() : "") + " " + h.typeName() + " voxels from byte "
                    + h.voxOffset() + " (" + total + " bytes), but the file holds only " + held
                    + " bytes: it is truncated or its header is wrong");
        }
        float[] values = new float[(int) voxels];
        try (InputStream in = open(file)) {
            in.skipNBytes(start);
            readValues(h, in, values);
        } catch (EOFException e) {
            throw new SampleFileException(file, null, "ends before its voxels do (" + end + " bytes needed): the file"
                    + " is truncated", e);
        } catch (ZipException e) {
            throw new SampleFileException(file, null, "is not a valid gzip file (" + ErrorText.describe(e) + ")", e);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        long bad = 0;
        for (int i = 0; i < values.length; i++) {
            if (h.scaled()) {
                values[i] = (float) (values[i] * h.slope() + h.intercept());
            }
            if (!Float.isFinite(values[i])) {
                bad++;
            }
        }
        if (bad > 0) {
            throw new SampleFileException(file, "voxels", bad + " of " + voxels + " values are not finite (NaN or"
                    + " infinite); replace them (e.g. by 0) before training");
        }
        return new NiftiVolume(h, channel, values);
    }

    private static void readValues(NiftiHeader h, InputStream in, float[] out) throws IOException {
        int bytes = h.bytesPerValue();
        byte[] chunk = new byte[1 << 16];
        ByteBuffer b = ByteBuffer.wrap(chunk).order(h.order());
        int i = 0;
        while (i < out.length) {
            int n = (int) Math.min(chunk.length / bytes, out.length - (long) i);
            if (in.readNBytes(chunk, 0, n * bytes) < n * bytes) {
                throw new EOFException();
            }
            for (int k = 0; k < n; k++) {
                out[i++] = value(h.datatype(), b, k * bytes);
            }
        }
    }

    private static float value(int datatype, ByteBuffer b, int at) {
        return switch (datatype) {
            case 2 -> b.get(at) & 0xff;
            case 4 -> b.getShort(at);
            case 8 -> b.getInt(at);
            case 16 -> b.getFloat(at);
            case 64 -> (float) b.getDouble(at);
            case 256 -> b.get(at);
            case 512 -> b.getShort(at) & 0xffff;
            case 768 -> b.getInt(at) & 0xffffffffL;
            case 1024 -> b.getLong(at);
            case 1280 -> unsigned(b.getLong(at));
            default -> throw new IllegalStateException("datatype " + datatype);
        };
    }

    private static float unsigned(long v) {
        return v >= 0 ? v : (float) ((v >>> 1) * 2.0 + (v & 1));
    }

    /** The uncompressed length of the file: its size, or a gzip file's recorded size; -1 when unknown. */
    private static long storedLength(Path file) throws SampleFileException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long size = f.length();
            if (!gzip(f)) {
                return size;
            }
            if (size < 18) {
                return 0;
            }
            // a gzip member ends with its uncompressed length modulo 2^32 (one member, as NIfTI writers make)
            f.seek(size - 4);
            byte[] t = new byte[4];
            f.readFully(t);
            long isize = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            return isize;
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private static boolean gzip(RandomAccessFile f) throws IOException {
        f.seek(0);
        int a = f.read();
        int b = f.read();
        f.seek(0);
        return a == 0x1f && b == 0x8b;
    }

    private static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int a = raw.read();
        int b = raw.read();
        raw.reset();
        return a == 0x1f && b == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
    }

    static void checkRegular(Path file) throws SampleFileException {
        if (!Files.exists(file)) {
            throw new SampleFileException(file, null, "file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new SampleFileException(file, null, Files.isDirectory(file) ? "is a folder, not a volume file"
                    : "is not a regular file (a pipe or device?); it was not opened");
        }
    }

    private static SampleFileException unreadable(Path file, IOException e) {
        if (e instanceof ZipException) {
            return new SampleFileException(file, null, "is not a valid gzip file (" + ErrorText.describe(e) + ")", e);
        }
        return new SampleFileException(file, null, "cannot be read (" + ErrorText.describe(e) + ")", e);
    }
}
