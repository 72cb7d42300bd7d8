package io.samtune.core;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.core.image.ImagePreprocessor;
import io.samtune.core.image.IntensityWindow;
import io.samtune.core.image.RgbImage;
import io.samtune.core.model.ImageEncoder;
import io.samtune.core.model.MaskDecoder;
import io.samtune.core.model.PromptEncoder;
import io.samtune.data.Sample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Segment Anything model: frozen image and prompt encoders and a trainable mask decoder, with
 * its weights on one device. Load one with {@link #load(Path)}; predict with {@link #newPredictor()}.
 * Holds native memory: close it (try-with-resources).
 */
public final class SamModel implements AutoCloseable {

    private final SamConfig config;
    private final NDManager manager;
    private final StateDict weights;
    private volatile ImageEncoder imageEncoder;
    /** The checkpoint holds an image encoder not read yet: it is read at its first use. */
    private volatile boolean encoderDeferred;
    /** The type the image encoder computes in (float32 unless set). */
    private volatile DataType encoderPrecision = DataType.FLOAT32;
    private final PromptEncoder promptEncoder;
    private final MaskDecoder maskDecoder;
    private final ImagePreprocessor preprocessor;
    private final Path source;

    private SamModel(SamConfig config, NDManager manager, StateDict weights, Path source) {
        this(config, manager, weights, source, false);
    }

    private SamModel(SamConfig config, NDManager manager, StateDict weights, Path source, boolean encoderDeferred) {
        this.config = config;
        this.manager = manager;
        this.weights = weights;
        this.source = source;
        this.encoderDeferred = encoderDeferred;
        boolean hasEncoder = weights.keys().stream().anyMatch(k -> k.startsWith("image_encoder."));
        this.imageEncoder = hasEncoder ? new ImageEncoder(config, weights) : null;
        this.promptEncoder = new PromptEncoder(config, weights);
        this.maskDecoder = new MaskDecoder(config, weights);
        this.preprocessor = new ImagePreprocessor(config.imageSize());
    }

    /**
     * A model of the given sizes with random weights (normal, std 0.02; LayerNorm scales 1, biases
     * 0): for benchmarks and tests, no checkpoint needed.
     */
    public static SamModel random(SamConfig config, long seed, Device device) {
        Engines.pytorch();
        NDManager manager = NDManager.newBaseManager(device, Engines.PYTORCH);
        StateDict sd = new StateDict(manager);
        java.util.Random rng = new java.util.Random(seed);
        config.expectedShapes().forEach((k, shape) -> {
            float[] v = new float[Math.toIntExact(shape.size())];
            boolean norm = k.matches(".*(norm\\d*|norm_final_attn|neck\\.[13]|upscaling\\.1|downscaling\\.[14])\\.(weight|bias)");
            for (int i = 0; i < v.length; i++) {
                v[i] = norm ? (k.endsWith("weight") ? 1f : 0f) : (float) (rng.nextGaussian() * 0.02);
            }
            sd.put(k, sd.manager().create(v, shape));
        });
        return new SamModel(config, manager, sd, null);
    }

    /** Loads a checkpoint of the given sizes on the best device ({@code auto}). */
    public static SamModel load(Path checkpoint, SamConfig config) throws CheckpointException {
        return load(checkpoint, config, Engines.device("auto"));
    }

    /** Loads a checkpoint on the best device ({@code auto}), inferring the sizes from its tensors. */
    public static SamModel load(Path checkpoint) throws CheckpointException {
        return load(checkpoint, null, Engines.device("auto"));
    }

    /**
     * Loads a checkpoint ({@code .pth} or {@code .safetensors}).
     *
     * @param config the sizes, or null to infer them from the tensors' shapes
     * @param device where the weights and computations live
     * @throws CheckpointException if the file cannot be read or does not fit the sizes: every
     *     missing, unexpected or mis-shaped tensor is named
     */
    public static SamModel load(Path checkpoint, SamConfig config, Device device) throws CheckpointException {
        return open(checkpoint, config, device, false);
    }

    /**
     * Loads a checkpoint but its image encoder, which is read when first used: a run whose slices
     * are all in the embedding cache never reads it (a third of ViT-B's file, most of ViT-H's). The
     * rest is checked as {@link #load(Path, SamConfig, Device)} does; the encoder's tensors when read.
     *
     * @param config the sizes (required: the encoder's are not inferred)
     * @throws CheckpointException as {@link #load(Path, SamConfig, Device)}
     */
    public static SamModel loadDeferringEncoder(Path checkpoint, SamConfig config, Device device)
            throws CheckpointException {
        return open(checkpoint, java.util.Objects.requireNonNull(config, "config"), device, true);
    }

    /** Reads and checks a checkpoint, all of it or ({@code deferEncoder}) all but the image encoder. */
    private static SamModel open(Path checkpoint, SamConfig config, Device device, boolean deferEncoder)
            throws CheckpointException {
        Engines.pytorch();
        NDManager manager = NDManager.newBaseManager(device, Engines.PYTORCH);
        try {
            java.util.Set<String> skipped = new java.util.HashSet<>();
            StateDict sd = SamCheckpoint.load(checkpoint, manager, k -> !deferEncoder || !k.startsWith("image_encoder."),
                    skipped);
            SamConfig c;
            try {
                c = config != null ? config : SamConfig.inferFrom(sd);
                if (config == null) {
                    org.slf4j.LoggerFactory.getLogger(SamModel.class).warn("{}: sizes inferred from the weights;"
                            + " the decoder's head count is not in them and is taken as {} (SAM's); pass the model's"
                            + " config (--config) if it differs", checkpoint, c.decoderNumHeads());
                }
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(checkpoint, "not a SAM checkpoint: " + e.getMessage());
            }
            if (sd.size() > 0 && skipped.isEmpty() && sd.keys().stream().allMatch(k -> k.startsWith("mask_decoder."))) {
                throw new CheckpointException(checkpoint, "holds only a mask decoder (a decoder file written by samtune"
                        + " train?); load a full SAM checkpoint and put this decoder on top of it (--decoder)");
            }
            Map<String, Shape> expected = c.expectedShapes();
            if (sd.keys().stream().noneMatch(k -> k.startsWith("image_encoder."))) {
                expected.keySet().removeIf(k -> k.startsWith("image_encoder.")); // none read: checked when read
            }
            checkShapes(sd, expected, checkpoint, c);
            requireFinite(sd, checkpoint);
            return new SamModel(c, manager, sd, checkpoint, !skipped.isEmpty());
        } catch (CheckpointException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Sets the type the image encoder computes in: float32 (the default), or float16 to halve its
     * memory and, on GPUs, its time (the embedding stays float32; the embedding cache keeps entries
     * of each precision apart).
     *
     * @throws IllegalArgumentException for any other type (bfloat16 included: see
     *     {@link ImageEncoder#checkPrecision})
     */
    public synchronized void setEncoderPrecision(DataType precision) {
        if (precision == encoderPrecision) {
            return;
        }
        ImageEncoder.checkPrecision(precision);
        ImageEncoder old = imageEncoder;
        if (old != null) {
            imageEncoder = new ImageEncoder(config, weights, precision);
            old.close();
        }
        encoderPrecision = precision;
    }

    /** The type the image encoder computes in. */
    public DataType encoderPrecision() {
        return encoderPrecision;
    }

    /** True when the image encoder's weights are in memory (false while a deferred encoder was not needed). */
    public boolean imageEncoderLoaded() {
        return imageEncoder != null;
    }

    /** Reads a deferred image encoder from the checkpoint, checking its tensors. */
    private synchronized void loadDeferredEncoder() {
        if (imageEncoder != null || !encoderDeferred) {
            return;
        }
        try (StateDict enc = SamCheckpoint.load(source, manager, k -> k.startsWith("image_encoder."), null)) {
            Map<String, Shape> expected = config.expectedShapes();
            expected.keySet().removeIf(k -> !k.startsWith("image_encoder."));
            checkShapes(enc, expected, source, config);
            requireFinite(enc, source);
            weights.putAll(enc);
            imageEncoder = new ImageEncoder(config, weights, encoderPrecision);
            encoderDeferred = false;
            org.slf4j.LoggerFactory.getLogger(SamModel.class).info("read the image encoder of {} (a slice was not in the"
                    + " embedding cache)", source);
        } catch (CheckpointException e) {
            // the same one line an eager load gives, unchecked because encoding declares no I/O; the embedding
            // cache and every command hand its CheckpointException on as it is
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * Replaces the mask decoder's weights with those of a decoder file (a fine-tuned
     * {@code decoder-best.safetensors}, or any checkpoint holding {@code mask_decoder.*}); other
     * tensors in the file are ignored.
     *
     * @throws CheckpointException if the file's decoder does not fit this model
     */
    public void loadDecoder(Path file) throws CheckpointException {
        try (StateDict sd = SamCheckpoint.load(file, manager)) {
            StateDict decoder = sd.subset("mask_decoder.", manager);
            try {
                if (decoder.size() == 0) {
                    throw new CheckpointException(file, "holds no mask_decoder.* tensors; expected a decoder saved by"
                            + " samtune train or a full SAM checkpoint");
                }
                checkShapes(decoder, config.decoderShapes(), file, config);
                requireFinite(decoder, file);
                weights.putAll(decoder);
            } finally {
                decoder.close();
            }
        }
    }

    /** Metadata key naming what wrote a safetensors file. */
    public static final String FORMAT_KEY = "format";
    /** Metadata key of the file format's version. */
    public static final String FORMAT_VERSION_KEY = "format_version";
    /** The decoder file format written by {@link #saveDecoder}. */
    public static final String DECODER_FORMAT = "samtune-mask-decoder";
    /** Current version of {@link #DECODER_FORMAT}. */
    public static final String DECODER_FORMAT_VERSION = "1";

    /**
     * Writes the mask decoder's weights as safetensors (keys {@code mask_decoder.<param>}, float32),
     * atomically. The file loads back with {@link #loadDecoder} and in Python with
     * {@code sam.load_state_dict(safetensors.torch.load_file(f), strict=False)}.
     *
     * @param metadata extra string entries for the file's {@code __metadata__}; may be empty
     */
    public void saveDecoder(Path file, Map<String, String> metadata) throws java.io.IOException {
        io.samtune.core.checkpoint.Safetensors.write(decoderParameters(), decoderFileMetadata(config, metadata), file,
                false);
    }

    /**
     * The {@code __metadata__} of a decoder file: format, format version, the model's sizes, then
     * {@code extra}. The one home of these keys, for {@link #saveDecoder} and run folders alike.
     */
    public static Map<String, String> decoderFileMetadata(SamConfig config, Map<String, String> extra) {
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put(FORMAT_KEY, DECODER_FORMAT);
        meta.put(FORMAT_VERSION_KEY, DECODER_FORMAT_VERSION);
        meta.put("config", config.toJson().toString());
        meta.putAll(extra);
        return meta;
    }

    private static void requireFinite(StateDict sd, Path file) throws CheckpointException {
        String bad = sd.firstNonFinite();
        if (bad != null) {
            throw new CheckpointException(file, "tensor " + bad + "; the weights are damaged (a diverged run saves"
                    + " none such): use another checkpoint");
        }
    }

    private static void checkShapes(StateDict sd, Map<String, Shape> expected, Path file, SamConfig config)
            throws CheckpointException {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> reshaped = new ArrayList<>();
        expected.forEach((k, shape) -> {
            Shape actual = sd.shape(k);
            if (actual == null) {
                missing.add(k + " " + shape);
            } else if (!actual.equals(shape)) {
                reshaped.add(k + ": expected " + shape + ", found " + actual);
            }
        });
        for (String k : sd.keys()) {
            if (!expected.containsKey(k)) {
                unexpected.add(k + " " + sd.shape(k));
            }
        }
        if (missing.isEmpty() && unexpected.isEmpty() && reshaped.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("does not fit the model: ").append(missing.size()).append(" missing, ")
                .append(unexpected.size()).append(" unexpected, ").append(reshaped.size())
                .append(" of another shape - is it a checkpoint of another architecture?")
                .append(System.lineSeparator()).append("Model: ").append(config);
        appendList(sb, "missing", missing);
        appendList(sb, "unexpected", unexpected);
        appendList(sb, "shape of", reshaped);
        sb.append(System.lineSeparator()).append("Pass the matching --config (or model) for this checkpoint.");
        throw new CheckpointException(file, sb.toString());
    }

    private static void appendList(StringBuilder sb, String label, List<String> items) {
        int shown = Math.min(items.size(), 12);
        for (int i = 0; i < shown; i++) {
            sb.append(System.lineSeparator()).append("  ").append(label).append(' ').append(items.get(i));
        }
        if (items.size() > shown) {
            sb.append(System.lineSeparator()).append("  ... and ").append(items.size() - shown).append(" more ")
                    .append(label.equals("shape of") ? "of another shape" : label);
        }
    }

    /** The model's sizes. */
    public SamConfig config() {
        return config;
    }

    /** The manager (and device) of the weights. */
    public NDManager manager() {
        return manager;
    }

    /** The device the model computes on. */
    public Device device() {
        return manager.getDevice();
    }

    /** Every tensor, by SAM's state-dict name. */
    public StateDict weights() {
        return weights;
    }

    /** The checkpoint this model was loaded from. */
    public Path source() {
        return source;
    }

    /** True when the checkpoint had an image encoder (decoder-only files have none). */
    public boolean hasImageEncoder() {
        return imageEncoder != null || encoderDeferred;
    }

    /**
     * The image encoder.
     *
     * @throws IllegalStateException if the checkpoint had none
     */
    public ImageEncoder imageEncoder() {
        if (imageEncoder == null && encoderDeferred) {
            loadDeferredEncoder();
        }
        if (imageEncoder == null) {
            throw new IllegalStateException("the checkpoint " + source + " has no image encoder (image_encoder.*);"
                    + " load a full SAM checkpoint to encode images");
        }
        return imageEncoder;
    }

    /** The prompt encoder. */
    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    /** The mask decoder. */
    public MaskDecoder maskDecoder() {
        return maskDecoder;
    }

    /** The preprocessing of this model's input size. */
    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    /** The mask decoder's parameters by state-dict name: what fine-tuning trains. */
    public Map<String, NDArray> decoderParameters() {
        return maskDecoder.parameters();
    }

    /**
     * Runs the image encoder on one image.
     *
     * @param target the manager that will own the embedding
     */
    public ImageEmbedding embed(RgbImage image, NDManager target) {
        ImageEncoder encoder = imageEncoder();
        try (NDManager scope = manager.newSubManager()) {
            ImagePreprocessor.ModelInput input = preprocessor.prepare(image, scope);
            NDArray embedding = encoder.forward(input.pixels());
            embedding.attach(target);
            return new ImageEmbedding(embedding, input.inputHeight(), input.inputWidth(), input.originalHeight(),
                    input.originalWidth());
        }
    }

    /**
     * Runs the image encoder on several images in one forward pass (faster on a GPU; the same
     * embeddings as one at a time, up to the order of float sums).
     *
     * @param target the manager that will own the embeddings
     * @return one embedding per image, in order
     */
    public List<ImageEmbedding> embed(List<RgbImage> images, NDManager target) {
        if (images.size() == 1) {
            return List.of(embed(images.get(0), target));
        }
        ImageEncoder encoder = imageEncoder();
        List<ImageEmbedding> out = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            List<ImagePreprocessor.ModelInput> inputs = new ArrayList<>();
            NDList pixels = new NDList();
            for (RgbImage image : images) {
                ImagePreprocessor.ModelInput input = preprocessor.prepare(image, scope);
                inputs.add(input);
                pixels.add(input.pixels());
            }
            NDArray all = encoder.forward(NDArrays.concat(pixels, 0));
            for (int i = 0; i < inputs.size(); i++) {
                ImagePreprocessor.ModelInput input = inputs.get(i);
                NDArray one = all.get(i).expandDims(0);
                one.attach(target);
                out.add(new ImageEmbedding(one, input.inputHeight(), input.inputWidth(), input.originalHeight(),
                        input.originalWidth()));
            }
        }
        return out;
    }

    /** Runs the image encoder on a sample windowed to 8 bits and replicated to RGB. */
    public ImageEmbedding embed(Sample sample, IntensityWindow window, NDManager target) {
        return embed(toRgb(sample, window), target);
    }

    /** A sample as the RGB image SAM sees: windowed to 8 bits, gray replicated to three channels. */
    public static RgbImage toRgb(Sample sample, IntensityWindow window) {
        return RgbImage.fromGray(sample.height(), sample.width(), window.apply(sample));
    }

    /** A predictor: set an image once, then prompt it any number of times. */
    public SamPredictor newPredictor() {
        return new SamPredictor(this);
    }

    @Override
    public void close() {
        if (imageEncoder != null) {
            imageEncoder.close();
        }
        weights.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "SamModel[" + (source == null ? "" : source.getFileName() + ", ") + config.encoderEmbedDim() + "-wide ViT x "
                + config.encoderDepth()
                + (imageEncoder != null ? "" : encoderDeferred ? " (encoder read when needed)" : " (no encoder)")
                + ", image " + config.imageSize()
                + ", " + String.format(java.util.Locale.ROOT, "%,d", weights.parameterCount()) + " parameters, on "
                + device() + "]";
    }
}
