package io.samtune.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Writes a run's scalars as TensorBoard event files beside {@code metrics.jsonl}
 * ({@code events.out.tfevents.<time>.samtune}): {@code train/loss} and {@code train/lr} every step,
 * {@code train/epoch_loss} and {@code val/dice} every epoch, so {@code tensorboard --logdir runs}
 * shows them. The format is TFRecord framing (length, masked CRC-32C) around {@code Event}
 * protocol buffers, encoded here without a protobuf library.
 */
public final class TensorBoardLog implements TrainingListener {

    private final Path file;

    /** A log in the folder {@code dir} (a new events file per process, as TensorBoard expects). */
    public TensorBoardLog(Path dir) {
        this.file = dir.resolve("events.out.tfevents." + System.currentTimeMillis() / 1000 + ".samtune");
    }

    /** The events file. */
    public Path file() {
        return file;
    }

    @Override
    public void onStart(TrainingView run) {
        write(event(run.step(), null, 0, "brain.Event:2"));
    }

    @Override
    public void onStep(TrainingView run) {
        write(event(run.step(), "train/loss", (float) run.loss(), null), event(run.step(), "train/lr",
                (float) run.learningRate(), null));
    }

    @Override
    public void onEpochEnd(TrainingView run) {
        write(event(run.step(), "train/epoch_loss", (float) run.epochMeanLoss(), null));
        if (!Double.isNaN(run.valDice())) {
            write(event(run.step(), "val/dice", (float) run.valDice(), null));
        }
    }

    private void write(byte[]... events) {
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                for (byte[] e : events) {
                    out.write(record(e));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
    static byte[] record(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(data.length);
        b.putInt(maskedCrc(b.array(), 0, 8));
        b.put(data);
        b.putInt(maskedCrc(data, 0, data.length));
        return b.array();
    }

    /** TFRecord's masked CRC-32C. */
    static int maskedCrc(byte[] data, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(data, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /** An {@code Event}: wall time (1), step (2), and a file version (3) or one scalar summary (5). */
    static byte[] event(long step, String tag, float value, String fileVersion) {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        e.write(0x09); // wall_time, fixed64
        e.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(System.currentTimeMillis() / 1000.0)
                .array());
        e.write(0x10); // step, varint
        varint(e, step);
        if (fileVersion != null) {
            bytesField(e, 0x1a, fileVersion.getBytes(StandardCharsets.UTF_8));
        } else {
            ByteArrayOutputStream v = new ByteArrayOutputStream();
            bytesField(v, 0x0a, tag.getBytes(StandardCharsets.UTF_8)); // Value.tag
            v.write(0x15); // Value.simple_value, fixed32
            v.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array());
            ByteArrayOutputStream summary = new ByteArrayOutputStream();
            bytesField(summary, 0x0a, v.toByteArray()); // Summary.value
            bytesField(e, 0x2a, summary.toByteArray()); // Event.summary
        }
        return e.toByteArray();
    }

    private static void bytesField(ByteArrayOutputStream out, int tag, byte[] bytes) {
        out.write(tag);
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    @Override
    public String toString() {
        return "TensorBoardLog[" + file + "]";
    }
}
