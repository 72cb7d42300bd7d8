package io.samtune.core.checkpoint;

import io.samtune.core.io.Half;
import io.samtune.core.io.AtomicFiles;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data. Files written here load in Python
 * with {@code safetensors.torch.load_file} and then {@code sam.load_state_dict(sd, strict=False)}.
 */
public final class Safetensors {

    /** Largest accepted JSON header, checked before allocating it. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private Safetensors() {
    }

    /**
     * Reads every tensor (as float32) and the {@code __metadata__} strings.
     *
     * @param metadata receives the file's metadata entries; may be null
     */
    public static StateDict read(Path file, NDManager manager, Map<String, String> metadata) throws CheckpointException {
        return read(file, manager, metadata, name -> true, null);
    }

    /**
     * Reads the tensors whose names {@code keep} accepts (and the metadata); the others are not read.
     *
     * @param skipped receives the names not kept; may be null
     */
    static StateDict read(Path file, NDManager manager, Map<String, String> metadata,
                          java.util.function.Predicate<String> keep, java.util.Set<String> skipped)
            throws CheckpointException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(file, "truncated safetensors file (" + size + " bytes)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
                throw new CheckpointException(file, "not a safetensors file or truncated: header length " + headerLen
                        + " does not fit the file's " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonObject header;
            try {
                header = JsonParser.parseString(new String(headerBuf.array(), StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new CheckpointException(file, "corrupt safetensors header: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            checkRanges(file, header, dataSize);
            StateDict sd = new StateDict(manager);
            try {
                for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                    if (e.getKey().equals("__metadata__")) {
                        if (metadata != null) {
                            e.getValue().getAsJsonObject().entrySet()
                                    .forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                        }
                        continue;
                    }
                    if (!keep.test(e.getKey())) {
                        if (skipped != null) {
                            skipped.add(e.getKey());
                        }
                        continue;
                    }
                    sd.put(e.getKey(), readTensor(file, ch, e.getKey(), e.getValue().getAsJsonObject(), dataStart,
                            dataSize, sd.manager()));
                }
            } catch (CheckpointException | RuntimeException ex) {
                sd.close();
                if (ex instanceof CheckpointException ce) {
                    throw ce;
                }
                throw new CheckpointException(file, "corrupt safetensors header: " + io.samtune.data.ErrorText.describe(ex), ex);
            }
            return sd;
        } catch (IOException e) {
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Checks, before any tensor is allocated, that every tensor's byte range lies within the data
     * and that no two overlap (3000 tensors over the same 4 MB would otherwise allocate 12 GB).
     */
    private static void checkRanges(Path file, JsonObject header, long dataSize) throws CheckpointException {
        java.util.List<long[]> ranges = new java.util.ArrayList<>();
        java.util.List<String> names = new java.util.ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            long[] offsets;
            try {
                offsets = new Gson().fromJson(e.getValue().getAsJsonObject().get("data_offsets"), long[].class);
            } catch (RuntimeException ex) {
                throw new CheckpointException(file, "tensor " + abbreviate(e.getKey()) + " has no valid data_offsets");
            }
            if (offsets == null || offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]
                    || offsets[1] > dataSize) {
                throw new CheckpointException(file, "tensor " + abbreviate(e.getKey()) + " lies outside the file ("
                        + dataSize + " data bytes); the file is truncated or corrupt");
            }
            ranges.add(new long[] {offsets[0], offsets[1], names.size()});
            names.add(e.getKey());
        }
        ranges.sort(java.util.Comparator.comparingLong(r -> r[0]));
        for (int i = 1; i < ranges.size(); i++) {
            long[] a = ranges.get(i - 1);
            long[] b = ranges.get(i);
            if (b[0] < a[1]) {
                throw new CheckpointException(file, "tensors " + abbreviate(names.get((int) a[2])) + " and "
                        + abbreviate(names.get((int) b[2])) + " share bytes " + b[0] + ".." + Math.min(a[1], b[1])
                        + "; a safetensors file never overlaps tensors - it is corrupt or hostile");
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static NDArray readTensor(Path file, FileChannel ch, String name, JsonObject info, long dataStart,
                                      long dataSize, NDManager manager) throws IOException {
        TorchDType dtype;
        try {
            dtype = TorchDType.fromSafetensors(info.get("dtype").getAsString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, "tensor " + name + ": " + e.getMessage());
        }
        long[] shape = new Gson().fromJson(info.get("shape"), long[].class);
        long[] offsets = new Gson().fromJson(info.get("data_offsets"), long[].class);
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new CheckpointException(file, "tensor " + name + " has a negative dimension");
            }
            numel = Math.multiplyExact(numel, d);
        }
        if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataSize) {
            throw new CheckpointException(file, "tensor " + name + " lies outside the file (data offsets "
                    + java.util.Arrays.toString(offsets) + ", " + dataSize + " data bytes); the file is truncated");
        }
        if (offsets[1] - offsets[0] != numel * dtype.bytes) {
            throw new CheckpointException(file, "tensor " + name + " of shape " + new Shape(shape) + " needs "
                    + numel * dtype.bytes + " bytes, the file gives " + (offsets[1] - offsets[0]));
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(offsets[1] - offsets[0])).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, buf, dataStart + offsets[0]);
        return TorchZip.toFloatArray(buf, dtype, numel, 0, shape, null, manager);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
        buf.flip();
    }

    /**
     * Writes tensors as float32 (or float16) safetensors, atomically: a temporary file beside the
     * target, flushed to disk, then renamed over it, so a crash leaves either the old or the new file.
     *
     * @param metadata string entries stored under {@code __metadata__}
     */
    public static void write(Map<String, NDArray> tensors, Map<String, String> metadata, Path file, boolean float16)
            throws IOException {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        Map<String, float[]> data = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            float[] values = a.toType(DataType.FLOAT32, false).toFloatArray();
            data.put(e.getKey(), values);
            long bytes = (long) values.length * (float16 ? 2 : 4);
            JsonObject info = new JsonObject();
            info.addProperty("dtype", float16 ? "F16" : "F32");
            com.google.gson.JsonArray shape = new com.google.gson.JsonArray();
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            info.add("shape", shape);
            com.google.gson.JsonArray offs = new com.google.gson.JsonArray();
            offs.add(offset);
            offs.add(offset + bytes);
            info.add("data_offsets", offs);
            header.add(e.getKey(), info);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // keep the data 8-byte aligned, as the reference writer does
        byte[] headerBytes = java.util.Arrays.copyOf(json, padded);
        java.util.Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            for (float[] values : data.values()) {
                writeValues(out, values, float16);
            }
        });
    }

    private static void writeValues(OutputStream out, float[] values, boolean float16) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.min(values.length, 1 << 16) * (float16 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (!b.hasRemaining()) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
            if (float16) {
                b.putShort(Half.fromFloat(v));
            } else {
                b.putFloat(v);
            }
        }
        out.write(b.array(), 0, b.position());
    }

    /** True when the file starts like a safetensors file (a plausible header length, then '{'). */
    static boolean looksLike(byte[] head) {
        if (head.length < 9) {
            return false;
        }
        long len = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return len > 0 && len <= MAX_HEADER_BYTES && head[8] == '{';
    }
}
