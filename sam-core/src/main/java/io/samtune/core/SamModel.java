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
import io.samtune.core.model.LoraConfig;
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
    /** LoRA adapters on the image encoder (their tensors in {@link #weights}), or null. */
    private volatile LoraConfig adapters;

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
        this.imageEncoder = hasEncoder ? new ImageEncoder(config, weights) : null; // no adapters yet
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
            imageEncoder = newEncoder(precision);
            old.close();
        }
        encoderPrecision = precision;
    }

    private ImageEncoder newEncoder(DataType precision) {
        ImageEncoder e = new ImageEncoder(config, weights, precision);
        e.setAdapters(adapters);
        return e;
    }

    /**
     * Adds LoRA adapters to the image encoder, A drawn Kaiming-uniform ({@code U(-1/sqrt(dim),
     * 1/sqrt(dim))}, as {@code nn.Linear} and PEFT initialise it) from {@code seed}, B zero: the
     * model computes exactly what it did without them until they are trained.
     *
     * @throws IllegalArgumentException naming the option when the blocks or rank do not fit the
     *     encoder, or when the model has adapters already
     */
    public synchronized void addAdapters(LoraConfig lora, long seed) {
        java.util.Random rng = new java.util.Random(seed);
        Map<String, NDArray> values = new java.util.LinkedHashMap<>();
        try (NDManager scope = manager.newSubManager()) {
            lora.shapes(config).forEach((name, shape) -> {
                float[] v = new float[Math.toIntExact(shape.size())];
                if (name.endsWith("_A")) {
                    double bound = 1 / Math.sqrt(shape.get(1));
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                    }
                }
                values.put(name, scope.create(v, shape));
            });
            setAdapters(lora, values);
        }
    }

    /**
     * Gives the image encoder LoRA adapters with the given values (copied), or replaces the values of
     * the same adapters.
     *
     * @param values every tensor of {@link LoraConfig#shapes}, by name
     * @throws IllegalArgumentException if a tensor is missing, unexpected or of another shape, or the
     *     model has other adapters already
     */
    public synchronized void setAdapters(LoraConfig lora, Map<String, NDArray> values) {
        if (adapters != null && !adapters.equals(lora)) {
            throw new IllegalArgumentException("the model has adapters " + adapters + " already, not " + lora
                    + " (remove them first)");
        }
        if (!hasImageEncoder()) {
            throw new IllegalStateException("the checkpoint " + source + " has no image encoder to adapt");
        }
        Map<String, Shape> shapes = lora.shapes(config);
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            NDArray v = values.get(e.getKey());
            if (v == null || !v.getShape().equals(e.getValue())) {
                throw new IllegalArgumentException("adapter tensor " + e.getKey() + " is " + (v == null ? "missing"
                        : "of shape " + v.getShape() + ", expected " + e.getValue()));
            }
        }
        for (String k : values.keySet()) {
            if (!shapes.containsKey(k)) {
                throw new IllegalArgumentException("tensor " + k + " is not an adapter of " + lora);
            }
        }
        shapes.keySet().forEach(k -> {
            // a copy of its own (toType and toDevice give the array itself when nothing changes), outside autograd
            NDArray v = values.get(k).stopGradient();
            NDArray copy = v.toType(DataType.FLOAT32, false).toDevice(device(), false).duplicate();
            v.close();
            weights.put(k, copy);
        });
        adapters = lora;
        ImageEncoder e = imageEncoder;
        if (e != null) {
            e.setAdapters(lora);
        }
    }

    /** Removes the image encoder's adapters (if any): it computes what the checkpoint's encoder does again. */
    public synchronized void removeAdapters() {
        LoraConfig a = adapters;
        if (a == null) {
            return;
        }
        ImageEncoder e = imageEncoder;
        if (e != null) {
            e.setAdapters(null);
        }
        adapters = null;
        a.shapes(config).keySet().forEach(weights::remove);
    }

    /** The image encoder's adapters, or null. */
    public LoraConfig adapters() {
        return adapters;
    }

    /** The adapters' tensors by name (empty without adapters): trained with the decoder. */
    public Map<String, NDArray> adapterParameters() {
        Map<String, NDArray> out = new java.util.LinkedHashMap<>();
        if (adapters != null) {
            adapters.shapes(config).keySet().forEach(k -> out.put(k, weights.get(k)));
        }
        return out;
    }

    /**
     * Every tensor of a whole SAM checkpoint, in the base checkpoint's names and shapes, with the
     * adapters (if any) folded into their blocks' qkv weights: what loads into the official
     * {@code segment_anything} model with {@code load_state_dict(strict=True)} and computes what this
     * model computes. Reads a deferred image encoder.
     *
     * @param target the manager that will own the arrays
     */
    public Map<String, NDArray> mergedWeights(NDManager target) {
        ImageEncoder encoder = imageEncoder();
        Map<String, NDArray> out = new java.util.LinkedHashMap<>();
        java.util.Set<Integer> adapted = adapters == null ? java.util.Set.of()
                : java.util.Set.copyOf(adapters.blockIndexes(config));
        for (String k : config.expectedShapes().keySet()) {
            int block = qkvBlock(k);
            NDArray v;
            if (block >= 0 && adapted.contains(block)) {
                v = encoder.mergedQkvWeight(block, target);
            } else {
                v = weights.get(k).stopGradient();
                v.attach(target);
            }
            out.put(k, v);
        }
        return out;
    }

    private static final java.util.regex.Pattern QKV_WEIGHT =
            java.util.regex.Pattern.compile("image_encoder\\.blocks\\.(\\d+)\\.attn\\.qkv\\.weight");

    /** The block of an {@code image_encoder.blocks.<b>.attn.qkv.weight} name, else -1. */
    private static int qkvBlock(String name) {
        java.util.regex.Matcher m = QKV_WEIGHT.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * The first block whose output depends on trained weights: the first adapted block, or the
     * encoder's depth without adapters (every block frozen).
     */
    public int firstAdaptedBlock() {
        LoraConfig a = adapters;
        return a == null ? config.encoderDepth() : a.firstBlock(config);
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
            imageEncoder = newEncoder(encoderPrecision);
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
     * {@code decoder-best.safetensors}, or any checkpoint holding {@code mask_decoder.*}), and the
     * image encoder's adapters with the file's (removing them when it has none); other tensors in
     * the file are ignored.
     *
     * @throws CheckpointException if the file's decoder does not fit this model
     */
    public void loadDecoder(Path file) throws CheckpointException {
        DecoderFiles.load(this, file);
    }

    /** Metadata key naming what wrote a safetensors file. */
    public static final String FORMAT_KEY = "format";
    /** Metadata key of the file format's version. */
    public static final String FORMAT_VERSION_KEY = "format_version";
    /** The decoder file format written by {@link #saveDecoder}. */
    public static final String DECODER_FORMAT = "samtune-mask-decoder";
    /** Current version of {@link #DECODER_FORMAT}. */
    public static final String DECODER_FORMAT_VERSION = "1";
    /** Metadata key of a decoder file's adapter settings ({@link LoraConfig#toJson}), when it holds adapters. */
    public static final String ADAPTER_KEY = "adapter";

    /**
     * Writes the mask decoder's weights as safetensors (keys {@code mask_decoder.<param>}, float32),
     * atomically. The file loads back with {@link #loadDecoder} and in Python with
     * {@code sam.load_state_dict(safetensors.torch.load_file(f), strict=False)}.
     *
     * @param metadata extra string entries for the file's {@code __metadata__}; may be empty
     */
    public void saveDecoder(Path file, Map<String, String> metadata) throws java.io.IOException {
        Map<String, NDArray> tensors = new java.util.LinkedHashMap<>(adapterParameters());
        tensors.putAll(decoderParameters());
        Map<String, String> extra = new java.util.LinkedHashMap<>(metadata);
        if (adapters != null) {
            extra.put(ADAPTER_KEY, adapters.toJson().toString());
        }
        io.samtune.core.checkpoint.Safetensors.write(tensors, decoderFileMetadata(config, extra), file, false);
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

    static void requireFinite(StateDict sd, Path file) throws CheckpointException {
        String bad = sd.firstNonFinite();
        if (bad != null) {
            throw new CheckpointException(file, "tensor " + bad + "; the weights are damaged (a diverged run saves"
                    + " none such): use another checkpoint");
        }
    }

    static void checkShapes(StateDict sd, Map<String, Shape> expected, Path file, SamConfig config)
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

    /**
     * The frozen part of the image encoder on several images: the tokens entering block
     * {@code first} (see {@link ImageEncoder#blockInput}), with the images' sizes.
     *
     * @param target the manager that will own the tokens
     * @return one (1, S/16, S/16, C) array per image, in order, carried as an {@link ImageEmbedding}
     */
    public List<ImageEmbedding> blockInputs(List<RgbImage> images, int first, NDManager target) {
        ImageEncoder encoder = imageEncoder();
        List<ImageEmbedding> out = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            for (RgbImage image : images) {
                ImagePreprocessor.ModelInput input = preprocessor.prepare(image, scope);
                NDArray tokens = encoder.blockInput(input.pixels(), first);
                tokens.attach(target);
                out.add(new ImageEmbedding(tokens, input.inputHeight(), input.inputWidth(), input.originalHeight(),
                        input.originalWidth()));
            }
        }
        return out;
    }

    /**
     * The image embedding from the tokens entering block {@code first}: the remaining blocks (with
     * the adapters as they are now) and the neck, without gradients.
     *
     * @param tokens from {@link #blockInputs} (or a block cache)
     * @param target the manager that will own the embedding
     */
    public ImageEmbedding embedFromBlockInput(ImageEmbedding tokens, int first, NDManager target) {
        ImageEncoder encoder = imageEncoder();
        try (NDManager scope = manager.newSubManager()) {
            NDArray t = tokens.embedding().toDevice(device(), false);
            if (t == tokens.embedding()) {
                t.tempAttach(scope); // what is computed from it is freed with the scope; it goes back after
            } else {
                t.attach(scope); // a copy on the model's device: freed with the scope
            }
            NDArray e = encoder.forwardFrom(t, first);
            e.attach(target);
            return new ImageEmbedding(e, tokens.inputHeight(), tokens.inputWidth(), tokens.originalHeight(),
                    tokens.originalWidth());
        }
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
                + (adapters == null ? "" : ", adapters " + adapters + " on blocks " + adapters.blockIndexes(config))
                + ", image " + config.imageSize()
                + ", " + String.format(java.util.Locale.ROOT, "%,d", weights.parameterCount()) + " parameters, on "
                + device() + "]";
    }
}
