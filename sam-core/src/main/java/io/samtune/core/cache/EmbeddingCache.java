package io.samtune.core.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.SamModel;
import io.samtune.core.io.AtomicFiles;
import io.samtune.core.io.Half;
import io.samtune.core.io.Sha256;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.MatFileException;
import io.samtune.data.SampleFileException;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSource;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image embeddings of samples, computed once and kept on disk. An entry's key is a hash of the
 * encoder (its checkpoint file's SHA-256 and the model's sizes), the preprocessing (model input
 * size, intensity window) and what decides the sample's image ({@link SampleSource#imageDigest}:
 * a slice file's content; a volume file's content, channel and axial index), so a change to any of
 * them makes a new entry instead of reusing a stale one.
 * Entries are float16 by default (float32 as an option), written atomically, and carry their key
 * and a CRC32: a corrupt, truncated or mismatched entry is detected, logged and recomputed, never
 * used.
 *
 * <p>Only the image embedding is cached; prompts and their jitter are applied after it.
 *
 * <p>A <em>block cache</em> ({@link #EmbeddingCache(Path, SamModel, IntensityWindow, boolean, int)}
 * with a block index) keeps instead the tokens entering that encoder block, the output of the frozen
 * blocks before it, keyed by the block index too: a model with adapters on the later blocks trains
 * from them ({@link #getStored}), and {@link #get} finishes the embedding from them with the
 * adapters as they are.
 */
public final class EmbeddingCache {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);
    private static final int MAGIC = 0x53414d45; // "SAME"
    private static final int VERSION = 2; // 2: the checksum covers the header

    private final Path root;
    private final SamModel model;
    private final IntensityWindow window;
    private final boolean float16;
    private final String encoderHash;
    /** The block whose input is stored, -1 for the image embedding, or {@link #FOLLOW} the model's adapters. */
    private final int block;
    private static final int FOLLOW = -2;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();

    /**
     * @param dir the cache folder (created when needed); entries go to a sub-folder per encoder
     * @param model the model whose image encoder computes missing entries
     * @param window how slices are windowed to 8 bits
     * @param float16 store float16 (half the disk, ~1e-3 relative error) instead of float32
     */
    public EmbeddingCache(Path dir, SamModel model, IntensityWindow window, boolean float16) {
        this(dir, model, window, float16, FOLLOW);
    }

    /**
     * A cache of the tokens entering encoder block {@code block} (a block cache), or of the image
     * embedding ({@code block} -1). The 4-argument constructor follows the model: at every use,
     * the input of its first adapted block when it has adapters, else the embedding.
     *
     * @throws IllegalArgumentException if the block is outside the encoder
     */
    public EmbeddingCache(Path dir, SamModel model, IntensityWindow window, boolean float16, int block) {
        if (block < FOLLOW || block >= model.config().encoderDepth()) {
            throw new IllegalArgumentException("block " + block + " is outside the encoder's " + model.config()
                    .encoderDepth() + " blocks");
        }
        this.block = block;
        this.model = model;
        this.window = window;
        this.float16 = float16;
        this.encoderHash = model.source() != null ? encoderKey(model.source(), model.config()) : encoderHash(model);
        this.root = dir.resolve(encoderHash.substring(0, 16));
    }

    /** The default cache folder: {@code $XDG_CACHE_HOME/samtune/embeddings}, else {@code ~/.cache/samtune/embeddings}. */
    public static Path defaultFolder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("samtune").resolve("embeddings");
    }

    /** The folder holding this encoder's entries. */
    public Path folder() {
        return root;
    }

    /**
     * Deletes the temporary files that killed writes left in this encoder's folder ({@code .KEY.emb.*.tmp},
     * each as large as an entry). Only those not modified for {@code olderThan} go: processes sharing
     * the folder may be writing the others right now.
     *
     * @return how many were deleted
     */
    public int removeAbandonedWrites(Duration olderThan) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        FileTime before = FileTime.from(Instant.now().minus(olderThan));
        int removed = 0;
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path folder : folders) { // entries sit in folders named by their key's first two digits
                try (DirectoryStream<Path> s = Files.newDirectoryStream(folder, ".*.emb.*.tmp")) {
                    for (Path tmp : s) {
                        try {
                            if (Files.getLastModifiedTime(tmp).compareTo(before) < 0 && Files.deleteIfExists(tmp)) {
                                removed++;
                            }
                        } catch (NoSuchFileException e) {
                            // its writer finished (or another process removed it) meanwhile
                        }
                    }
                }
            }
        }
        return removed;
    }

    /** The key of the encoder: {@link #encoderKey} of the model's checkpoint, or {@link #encoderHash(SamModel)} of a model made in memory. */
    public String encoderHash() {
        return encoderHash;
    }

    /** The block whose input the entries hold now, or -1 when they hold image embeddings. */
    public int block() {
        if (block != FOLLOW) {
            return block;
        }
        return model.adapters() == null ? -1 : model.firstAdaptedBlock();
    }

    /** Counts of entries read, computed, and found corrupt or stale so far. */
    public record Stats(long hits, long misses, long corrupt) {
    }

    /** What has happened so far. */
    public Stats stats() {
        return new Stats(hits.get(), misses.get(), corrupt.get());
    }

    /**
     * The embedding of a sample: read from the cache, or computed with the model's encoder and
     * stored.
     *
     * @param target the manager that will own the embedding
     * @throws SampleFileException if the sample cannot be read
     * @throws IOException if the cache folder cannot be written
     */
    public ImageEmbedding get(SampleRef sample, NDManager target) throws IOException {
        return getAll(java.util.List.of(sample), target).get(0);
    }

    /**
     * What an entry holds for a sample: its image embedding, or in a block cache the tokens entering
     * the block (1, S/16, S/16, C), read or computed and stored as {@link #get} does.
     */
    public ImageEmbedding getStored(SampleRef sample, NDManager target) throws IOException {
        return getAllStored(java.util.List.of(sample), target).get(0);
    }

    /** {@link #getStored} of several samples, those missing computed in one pass. */
    public java.util.List<ImageEmbedding> getAllStored(java.util.List<SampleRef> samples, NDManager target)
            throws IOException {
        if (block() < 0 && model.adapters() != null) {
            throw new IllegalStateException("this cache holds embeddings of the encoder without adapters, and the"
                    + " model has adapters now: make the cache after adding them (it then keeps their input)");
        }
        return stored(samples, target);
    }

    /**
     * The embeddings of several samples: those cached are read, the others computed in one
     * encoder pass (several images per forward pass: faster on a GPU) and stored.
     *
     * @param target the manager that will own the embeddings
     * @return one embedding per file, in order
     * @throws SampleFileException if a sample cannot be read
     * @throws IOException if the cache folder cannot be written
     */
    public java.util.List<ImageEmbedding> getAll(java.util.List<SampleRef> samples, NDManager target) throws IOException {
        int block = block();
        if (block < 0) {
            if (model.adapters() != null) {
                throw new IllegalStateException("this cache holds embeddings of the encoder without adapters, and the"
                        + " model has adapters now: make the cache after adding them (it then keeps their input)");
            }
            return stored(samples, target);
        }
        java.util.List<ImageEmbedding> out = new java.util.ArrayList<>();
        for (ImageEmbedding tokens : stored(samples, target)) {
            out.add(model.embedFromBlockInput(tokens, block, target));
            tokens.close();
        }
        return java.util.List.copyOf(out);
    }

    private java.util.List<ImageEmbedding> stored(java.util.List<SampleRef> samples, NDManager target)
            throws IOException {
        ImageEmbedding[] out = new ImageEmbedding[samples.size()];
        java.util.List<Integer> missing = new java.util.ArrayList<>();
        java.util.List<String> missingKeys = new java.util.ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            SampleRef sample = samples.get(i);
            Path sliceFile = sample.file();
            String key = key(sample.source().imageDigest(sample));
            Path entry = entry(key);
            if (Files.exists(entry)) {
                try {
                    out[i] = read(entry, key, target);
                    hits.incrementAndGet();
                    continue;
                } catch (IOException | RuntimeException e) {
                    corrupt.incrementAndGet();
                    LOG.warn("cache entry {} for {} ({}) is unusable: {}; recomputing it", entry, sample.name(), sliceFile,
                            e.getMessage());
                }
            }
            missing.add(i);
            missingKeys.add(key);
        }
        if (!missing.isEmpty()) {
            java.util.List<io.samtune.core.image.RgbImage> images = new java.util.ArrayList<>();
            for (int i : missing) {
                images.add(SamModel.toRgb(samples.get(i).load(), window));
            }
            java.util.List<ImageEmbedding> computed;
            int block = block();
            try {
                computed = block < 0 ? model.embed(images, target) : model.blockInputs(images, block, target);
            } catch (java.io.UncheckedIOException e) { // an encoder read only now, found damaged: its own refusal
                throw e.getCause();
            }
            for (int j = 0; j < missing.size(); j++) {
                misses.incrementAndGet();
                ImageEmbedding e = computed.get(j);
                String key = missingKeys.get(j);
                float[] stored = write(entry(key), key, e);
                // hand back what a later read gives (float16-rounded), so a first epoch equals every other
                NDArray rounded = target.create(stored, e.embedding().getShape());
                e.embedding().close();
                out[missing.get(j)] = new ImageEmbedding(rounded, e.inputHeight(), e.inputWidth(), e.originalHeight(),
                        e.originalWidth());
            }
        }
        return java.util.List.of(out);
    }

    private Path entry(String key) {
        return root.resolve(key.substring(0, 2)).resolve(key + ".emb");
    }

    private String key(byte[] imageDigest) {
        int block = block();
        MessageDigest d = Sha256.digest();
        // a float32 encoder adds nothing to the key, so entries written before precisions existed stay valid
        String precision = model.encoderPrecision() == DataType.FLOAT32 ? ""
                : "|encoder=" + model.encoderPrecision().name().toLowerCase(java.util.Locale.ROOT);
        d.update((encoderHash + "|image=" + model.config().imageSize() + "|window=" + window + "|dtype="
                + (float16 ? "f16" : "f32") + precision + (block < 0 ? "" : "|blockInput=" + block) + "|")
                .getBytes(StandardCharsets.UTF_8));
        d.update(imageDigest);
        return Sha256.hex(d.digest());
    }

    /** Writes an entry; returns the values as stored (float16-rounded when the cache is float16). */
    private float[] write(Path entry, String key, ImageEmbedding e) throws IOException {
        long[] shape = e.embedding().getShape().getShape();
        float[] values = e.embedding().toType(DataType.FLOAT32, false).toFloatArray();
        ByteBuffer data = ByteBuffer.allocate(values.length * (float16 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            if (float16) {
                short h = Half.fromFloat(values[i]);
                data.putShort(h);
                values[i] = Half.toFloat(h);
            } else {
                data.putFloat(values[i]);
            }
        }
        CRC32 crc = headerCrc(key, float16, shape, e.inputHeight(), e.inputWidth(), e.originalHeight(),
                e.originalWidth());
        crc.update(data.array());
        AtomicFiles.write(entry, os -> {
            DataOutputStream out = new DataOutputStream(os);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(key);
            out.writeBoolean(float16);
            out.writeInt(shape.length);
            for (long s : shape) {
                out.writeLong(s);
            }
            out.writeInt(e.inputHeight());
            out.writeInt(e.inputWidth());
            out.writeInt(e.originalHeight());
            out.writeInt(e.originalWidth());
            out.writeLong(crc.getValue());
            out.writeInt(data.capacity());
            out.write(data.array());
            out.flush();
        });
        return values;
    }

    /** A CRC over an entry's header fields, to which the data is added: a changed size is caught too. */
    /** The checksum of an entry's header; the data follow into it. */
    static CRC32 headerCrc(String key, boolean half, long[] shape, int ih, int iw, int oh, int ow) {
        ByteBuffer h = ByteBuffer.allocate(1 + 8 * shape.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        h.put((byte) (half ? 1 : 0));
        for (long s : shape) {
            h.putLong(s);
        }
        h.putInt(ih).putInt(iw).putInt(oh).putInt(ow);
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        crc.update(h.array());
        return crc;
    }

    private static ImageEmbedding read(Path entry, String key, NDManager target) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(entry));
        try {
            if (b.getInt() != MAGIC || b.getInt() != VERSION) {
                throw new IOException("not an embedding cache entry of this version");
            }
            int keyLen = b.getShort() & 0xffff;
            String stored = new String(b.array(), b.position(), keyLen, StandardCharsets.UTF_8);
            b.position(b.position() + keyLen);
            if (!stored.equals(key)) {
                throw new IOException("entry is for another key");
            }
            boolean half = b.get() != 0;
            int dims = b.getInt();
            if (dims != 4) {
                throw new IOException("expected a 4-D embedding, found " + dims + " dimensions");
            }
            long[] shape = new long[dims];
            long n = 1;
            for (int i = 0; i < dims; i++) {
                shape[i] = b.getLong();
                n *= shape[i];
            }
            int ih = b.getInt();
            int iw = b.getInt();
            int oh = b.getInt();
            int ow = b.getInt();
            long crcStored = b.getLong();
            int len = b.getInt();
            if (len != n * (half ? 2 : 4) || len != b.remaining()) {
                throw new IOException("data length " + len + " does not match shape or file (truncated?)");
            }
            CRC32 crc = headerCrc(key, half, shape, ih, iw, oh, ow);
            crc.update(b.array(), b.position(), len);
            if (crc.getValue() != crcStored) {
                throw new IOException("checksum mismatch");
            }
            ByteBuffer data = b.slice().order(ByteOrder.LITTLE_ENDIAN);
            float[] values = new float[(int) n];
            int notFinite = 0;
            for (int i = 0; i < values.length; i++) {
                values[i] = half ? Half.toFloat(data.getShort()) : data.getFloat();
                notFinite += Float.isFinite(values[i]) ? 0 : 1;
            }
            if (notFinite > 0) { // the checksum found no damage: the entry was written so, not by an encoder
                throw new IOException(notFinite + " of its " + n + " values are not finite (NaN or infinite), which no"
                        + " encoder of finite weights writes");
            }
            NDArray arr = target.create(values, new Shape(shape));
            return new ImageEmbedding(arr, ih, iw, oh, ow);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("entry is truncated", e);
        }
    }

    /**
     * The key of a checkpoint's encoder: a hex SHA-256 over the file's SHA-256 and the model's sizes.
     * It is known without reading the weights, so a run whose slices are all cached needs no encoder
     * in memory ({@link SamModel#loadDeferringEncoder}). Another file with the same weights gets
     * other entries.
     *
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public static String encoderKey(Path checkpoint, io.samtune.core.SamConfig sizes) {
        try {
            return Sha256.of(("checkpoint=" + Sha256.of(checkpoint) + "|sizes=" + sizes.toJson())
                    .getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    /** A hex SHA-256 over the model's {@code image_encoder.*} tensors (names and float32 values): the key of a model made in memory. */
    public static String encoderHash(SamModel model) {
        MessageDigest d = Sha256.digest();
        TreeMap<String, NDArray> sorted = new TreeMap<>();
        model.weights().tensors().forEach((k, v) -> {
            if (k.startsWith("image_encoder.") && !io.samtune.core.model.LoraConfig.isAdapterName(k)) {
                sorted.put(k, v);
            }
        });
        if (sorted.isEmpty()) {
            throw new IllegalStateException("the model has no image encoder to cache embeddings of");
        }
        sorted.forEach((k, v) -> {
            d.update(k.getBytes(StandardCharsets.UTF_8));
            float[] f = v.toType(DataType.FLOAT32, false).toFloatArray();
            ByteBuffer bb = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(f);
            d.update(bb.array());
        });
        return Sha256.hex(d.digest());
    }

    @Override
    public String toString() {
        Stats s = stats();
        return String.format(Locale.ROOT, "EmbeddingCache[%s, %s%s, %d read, %d computed, %d recomputed]", root,
                block() < 0 ? "" : "input of block " + block() + ", ", float16 ? "float16" : "float32", s.hits(), s.misses(),
                s.corrupt());
    }
}
