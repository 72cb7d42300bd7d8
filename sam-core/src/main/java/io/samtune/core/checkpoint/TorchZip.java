package io.samtune.core.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.PickleException;

/**
 * Reads a {@code torch.save} file in the zip format: {@code <archive>/data.pkl} (the pickled state
 * dict, unpickled by {@link RestrictedUnpickler}) and {@code <archive>/data/<key>} (one raw
 * little-endian storage per key). The archive folder's name varies and is found, not assumed.
 */
final class TorchZip {

    /** Largest accepted pickle, checked before reading it. */
    private static final long MAX_PICKLE_BYTES = 256L << 20;

    private TorchZip() {
    }

    private static String abbreviate(String s) {
        return s == null ? "malformed" : s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }

    static StateDict read(Path file, NDManager manager) throws CheckpointException {
        return read(file, manager, name -> true, null);
    }

    /**
     * Reads the tensors whose names {@code keep} accepts; the others' storages are not read.
     *
     * @param skipped receives the names not kept; may be null
     */
    static StateDict read(Path file, NDManager manager, java.util.function.Predicate<String> keep,
                          java.util.Set<String> skipped) throws CheckpointException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry pkl = zip.stream().filter(e -> e.getName().endsWith("data.pkl")
                    && e.getName().indexOf('/') == e.getName().length() - "data.pkl".length() - 1)
                    .findFirst().orElse(null);
            if (pkl == null) {
                throw new CheckpointException(file, "zip file without <archive>/data.pkl: not a torch.save checkpoint");
            }
            String prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            if (pkl.getSize() > MAX_PICKLE_BYTES) {
                throw new CheckpointException(file, "data.pkl is " + pkl.getSize() + " bytes, too large for a state dict");
            }
            Object root;
            RestrictedUnpickler unpickler = new RestrictedUnpickler();
            try (InputStream in = zip.getInputStream(pkl)) {
                root = unpickler.load(PickleLimits.check(in.readNBytes((int) Math.min(MAX_PICKLE_BYTES, Integer.MAX_VALUE - 8)),
                        file, pkl.getName()));
            } catch (PickleException e) {
                throw new CheckpointException(file, "unsafe or malformed pickle in " + pkl.getName() + ": "
                        + abbreviate(e.getMessage()) + ". Only plain state dicts (torch.save(model.state_dict(), f)) can"
                        + " be loaded", e);
            } catch (RuntimeException | StackOverflowError e) {
                // a malformed pickle (wrong types where names belong, a value nested in itself)
                throw new CheckpointException(file, "malformed pickle in " + pkl.getName() + " ("
                        + (e instanceof StackOverflowError ? "nested too deeply or in itself"
                        : io.samtune.data.ErrorText.describe(e)) + "); save the checkpoint again with"
                        + " torch.save(model.state_dict(), f)", e);
            } finally {
                unpickler.close();
            }
            Map<Object, Object> entries;
            try {
                entries = RestrictedUnpickler.stateDictOf(root);
            } catch (PickleException e) {
                throw new CheckpointException(file, e.getMessage());
            }
            Map<String, ByteBuffer> storages = new HashMap<>();
            // what the kept tensors need of each storage: no storage is read, or inflated, beyond it
            Map<String, Long> needed = new HashMap<>();
            long cap = maxTensorBytes();
            for (Map.Entry<Object, Object> e : entries.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (e.getValue() instanceof RestrictedUnpickler.TensorRef t && keep.test(name)) {
                    long bytes = neededBytes(file, name, t);
                    if (bytes > cap) {
                        throw new CheckpointException(file, "tensor " + name + " needs " + bytes + " bytes of storage "
                                + t.storage().key() + ", more than any SAM tensor (" + cap + "); refused as corrupt or"
                                + " a compression bomb (raise -D" + MAX_TENSOR_BYTES_PROPERTY + "=N if it is real)");
                    }
                    needed.merge(t.storage().key(), bytes, Math::max);
                }
            }
            StateDict sd = new StateDict(manager);
            try {
                for (Map.Entry<Object, Object> e : entries.entrySet()) {
                    String name = String.valueOf(e.getKey());
                    if (!(e.getValue() instanceof RestrictedUnpickler.TensorRef t)) {
                        continue; // e.g. metadata entries beside the tensors
                    }
                    if (!keep.test(name)) {
                        if (skipped != null) {
                            skipped.add(name);
                        }
                        continue;
                    }
                    ByteBuffer storage = storages.get(t.storage().key());
                    if (storage == null) {
                        storage = readStorage(zip, file, prefix, t.storage(), needed.get(t.storage().key()));
                        storages.put(t.storage().key(), storage);
                    }
                    sd.put(name, toFloatArray(storage, t.storage().dtype(), t.storage().numel(), t.offset(), t.size(),
                            t.stride(), sd.manager()));
                }
            } catch (CheckpointException | RuntimeException ex) {
                sd.close();
                if (ex instanceof CheckpointException ce) {
                    throw ce;
                }
                throw new CheckpointException(file, "malformed tensor: " + abbreviate(io.samtune.data.ErrorText.describe(ex)), ex);
            }
            if (sd.size() == 0) {
                sd.close();
                throw new CheckpointException(file, "holds no tensors");
            }
            return sd;
        } catch (ZipException e) {
            throw new CheckpointException(file, "corrupt or truncated zip archive (" + e.getMessage()
                    + "); download or save the checkpoint again", e);
        } catch (IOException e) {
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The property that raises {@link #DEFAULT_MAX_TENSOR_BYTES}. */
    public static final String MAX_TENSOR_BYTES_PROPERTY = "samtune.maxTensorBytes";
    /** The most bytes one tensor may need of its storage: far above SAM's largest (ViT-H, 26 MB). */
    public static final long DEFAULT_MAX_TENSOR_BYTES = 512L << 20;

    static long maxTensorBytes() {
        String v = System.getProperty(MAX_TENSOR_BYTES_PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_MAX_TENSOR_BYTES;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(MAX_TENSOR_BYTES_PROPERTY + " must be a whole number >= 1, got '" + v + "'");
    }

    /** Bytes of its storage a tensor view reads: up to its last element; refused when it reads past the storage. */
    static long neededBytes(Path file, String name, RestrictedUnpickler.TensorRef t) throws CheckpointException {
        long[] size = t.size();
        long[] st = t.stride() == null ? contiguousStrides(size) : t.stride();
        try {
            if (t.offset() < 0 || st.length != size.length) {
                throw new ArithmeticException("offset or strides");
            }
            long last = t.offset();
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0 || st[i] < 0) {
                    throw new ArithmeticException("negative size or stride");
                }
                if (size[i] == 0) {
                    return 0;
                }
                last = Math.addExact(last, Math.multiplyExact(size[i] - 1, st[i]));
            }
            if (last >= t.storage().numel()) {
                throw new CheckpointException(file, "tensor " + name + " reads element " + last + " of storage "
                        + t.storage().key() + ", which holds " + t.storage().numel() + "; the file is corrupt");
            }
            return Math.multiplyExact(last + 1, (long) t.storage().dtype().bytes);
        } catch (ArithmeticException e) {
            throw new CheckpointException(file, "tensor " + name + " has an impossible view (" + e.getMessage()
                    + "); the file is corrupt");
        }
    }

    private static ByteBuffer readStorage(ZipFile zip, Path file, String prefix, RestrictedUnpickler.StorageRef ref,
                                          long needed) throws IOException {
        String name = prefix + "data/" + ref.key();
        ZipEntry entry = zip.getEntry(name);
        if (entry == null) {
            throw new CheckpointException(file, "storage " + name + " is missing; the file is truncated or corrupt");
        }
        long expected = Math.multiplyExact(ref.numel(), ref.dtype().bytes);
        if (expected > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(file, "storage " + name + " claims " + expected + " bytes, more than one tensor"
                    + " of a SAM checkpoint holds (2 GB)");
        }
        long compressed = entry.getCompressedSize();
        if (compressed >= 0 && (entry.getMethod() == ZipEntry.STORED ? compressed != expected
                : expected > 1100 * compressed + 1024)) {
            throw new CheckpointException(file, "storage " + name + " claims " + expected + " bytes from "
                    + compressed + " in the file; refused as corrupt or a compression bomb");
        }
        if (entry.getSize() >= 0 && entry.getSize() != expected) {
            throw new CheckpointException(file, "storage " + name + " holds " + entry.getSize() + " bytes, expected "
                    + expected + " (" + ref.numel() + " x " + ref.dtype() + ")");
        }
        // only what the tensors need is allocated and inflated: a storage's claim costs nothing beyond that
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(needed)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] chunk = new byte[1 << 16];
        try (InputStream in = zip.getInputStream(entry)) {
            int n;
            while (buf.hasRemaining() && (n = in.read(chunk, 0, Math.min(chunk.length, buf.remaining()))) > 0) {
                buf.put(chunk, 0, n);
            }
        }
        if (buf.hasRemaining()) {
            throw new CheckpointException(file, "storage " + name + " ends after " + buf.position() + " of "
                    + expected + " bytes; the file is truncated");
        }
        buf.flip();
        return buf;
    }

    /**
     * A float32 NDArray from a storage view. Contiguous float32 data are copied straight; anything
     * else (other dtypes, strides) element by element.
     *
     * @param stride element strides, or null for contiguous
     */
    static NDArray toFloatArray(ByteBuffer storage, TorchDType dtype, long numel, long offset, long[] size,
                                long[] stride, NDManager manager) {
        Shape shape = new Shape(size);
        long n = shape.size();
        long[] st = stride == null ? contiguousStrides(size) : stride;
        long extent = offset;
        for (int i = 0; i < size.length; i++) {
            if (size[i] < 0 || st[i] < 0) {
                throw new IllegalArgumentException("negative size or stride " + shape);
            }
            extent += size[i] == 0 ? 0 : (size[i] - 1) * st[i];
        }
        if (n > numel) {
            throw new IllegalArgumentException("view " + shape + " has more elements than its storage of " + numel);
        }
        if (n > 0 && (extent >= numel || offset < 0)) {
            throw new IllegalArgumentException("view " + shape + " at offset " + offset + " exceeds its storage of "
                    + numel + " elements");
        }
        boolean contiguous = java.util.Arrays.equals(st, contiguousStrides(size));
        if (dtype == TorchDType.FLOAT32 && contiguous) {
            ByteBuffer slice = storage.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            slice.position(Math.toIntExact(offset * 4));
            slice.limit(Math.toIntExact((offset + n) * 4));
            return manager.create(slice.slice().order(ByteOrder.LITTLE_ENDIAN), shape, DataType.FLOAT32);
        }
        float[] out = new float[Math.toIntExact(n)];
        long[] idx = new long[size.length];
        for (int i = 0; i < out.length; i++) {
            long at = offset;
            for (int d = 0; d < size.length; d++) {
                at += idx[d] * st[d];
            }
            out[i] = dtype.get(storage, at);
            for (int d = size.length - 1; d >= 0; d--) {
                if (++idx[d] < size[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return manager.create(out, shape);
    }

    private static long[] contiguousStrides(long[] size) {
        long[] st = new long[size.length];
        long s = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= size[i];
        }
        return st;
    }
}
