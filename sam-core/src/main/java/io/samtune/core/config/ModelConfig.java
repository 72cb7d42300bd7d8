package io.samtune.core.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.core.Engines;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.ConfigJson;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which SAM a job runs and where its image embeddings are kept: the base checkpoint, its sizes
 * (inferred from the tensors when absent), the device, and the embedding cache (folder and
 * precision, or no cache at all). Build with {@link #builder()}; the checkpoint is required.
 *
 * @param checkpoint SAM checkpoint, {@code .pth} (torch.save) or {@code .safetensors}
 * @param sizes the model's sizes, or null to infer them from the checkpoint
 * @param device {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N} (auto)
 * @param devices the devices to train on, one model replica each (empty: {@code device} alone); the
 *     first holds the weights that are updated
 * @param cacheFolder embedding cache folder, or null for {@link EmbeddingCache#defaultFolder()}
 * @param cacheFloat16 store cached embeddings as float16 (true) or float32
 * @param useCache read embeddings from the cache (true); false recomputes them at every use
 * @param encoderPrecision the type the image encoder computes in: {@code float32} (default) or
 *     {@code float16} (for GPUs; cache entries of each precision are kept apart)
 * @param adapter LoRA adapters trained on the image encoder with the decoder, or null (decoder only)
 * @param trainPromptEncoder train the prompt encoder's learned embeddings with the decoder too
 */
public record ModelConfig(Path checkpoint, SamConfig sizes, String device, java.util.List<String> devices,
                          Path cacheFolder, boolean cacheFloat16, boolean useCache, String encoderPrecision,
                          io.samtune.core.model.LoraConfig adapter, boolean trainPromptEncoder) {

    /** The encoder precisions, by name. */
    public static final java.util.List<String> PRECISIONS = java.util.List.of("float32", "float16");

    /** Validates and copies the device list. */
    public ModelConfig {
        Objects.requireNonNull(checkpoint, "checkpoint: give the SAM checkpoint");
        Objects.requireNonNull(device, "device");
        devices = java.util.List.copyOf(devices);
        if ("bfloat16".equals(encoderPrecision)) {
            io.samtune.core.model.ImageEncoder.checkPrecision(ai.djl.ndarray.types.DataType.BFLOAT16);
        }
        if (adapter != null && sizes != null) {
            adapter.blockIndexes(sizes); // blocks outside the encoder, a rank above its width: refused now
        }
        if (!PRECISIONS.contains(encoderPrecision)) {
            throw new IllegalArgumentException("encoder precision must be one of " + String.join(", ", PRECISIONS)
                    + ", not '" + encoderPrecision + "'");
        }
    }

    /** {@link #encoderPrecision} as the engine's type. */
    public ai.djl.ndarray.types.DataType encoderDataType() {
        return "float16".equals(encoderPrecision) ? ai.djl.ndarray.types.DataType.FLOAT16
                : ai.djl.ndarray.types.DataType.FLOAT32;
    }

    /** The device of the model that is updated: the first of {@link #devices}, else {@link #device}. */
    public String primaryDevice() {
        return devices.isEmpty() ? device : devices.get(0);
    }

    /** A builder with every default; {@link Builder#setCheckpoint} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** This config as a builder, to change a few settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.checkpoint = checkpoint;
        b.sizes = sizes;
        b.device = device;
        b.devices = devices;
        b.cacheFolder = cacheFolder;
        b.cacheFloat16 = cacheFloat16;
        b.useCache = useCache;
        b.encoderPrecision = encoderPrecision;
        b.adapter = adapter;
        b.trainPromptEncoder = trainPromptEncoder;
        return b;
    }

    /**
     * Loads the model.
     *
     * @throws CheckpointException if the checkpoint cannot be read or does not fit the sizes
     * @throws IllegalArgumentException for an unknown or unavailable device
     */
    public SamModel load() throws CheckpointException {
        SamModel model = useCache && sizes != null // embeddings come from the cache: the encoder is read only on a miss
                ? SamModel.loadDeferringEncoder(checkpoint, sizes, Engines.device(primaryDevice()))
                : SamModel.load(checkpoint, sizes, Engines.device(primaryDevice()));
        model.setEncoderPrecision(encoderDataType());
        return model;
    }

    /** The embedding cache of a loaded model with these settings, or null when {@link #useCache} is false. */
    public EmbeddingCache cache(SamModel model, IntensityWindow window) {
        return useCache ? new EmbeddingCache(cacheFolder(), model, window, cacheFloat16) : null;
    }

    /** The cache folder, or the default one when none was set. */
    public Path cacheFolder() {
        return cacheFolder != null ? cacheFolder : EmbeddingCache.defaultFolder();
    }

    /** Every setting as JSON; {@link #fromJson} reads it back to an equal config. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("checkpoint", checkpoint.toString());
        if (sizes != null) {
            o.add("sizes", sizes.toJson());
        }
        o.addProperty("device", device);
        if (!devices.isEmpty()) {
            com.google.gson.JsonArray a = new com.google.gson.JsonArray();
            devices.forEach(a::add);
            o.add("devices", a);
        }
        if (cacheFolder != null) {
            o.addProperty("cacheFolder", cacheFolder.toString());
        }
        o.addProperty("cacheFloat16", cacheFloat16);
        o.addProperty("useCache", useCache);
        if (!encoderPrecision.equals("float32")) {
            o.addProperty("encoderPrecision", encoderPrecision);
        }
        if (adapter != null) {
            o.add("adapter", adapter.toJson());
        }
        if (trainPromptEncoder) {
            o.addProperty("trainPromptEncoder", true);
        }
        return o;
    }

    /**
     * A config from JSON written by {@link #toJson}; absent keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown keys, wrong types or bad sizes
     */
    public static ModelConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("model", json);
        Builder b = builder();
        b.setCheckpoint(j.path("checkpoint", null));
        if (j.has("sizes")) {
            JsonElement s = j.element("sizes");
            if (!s.isJsonObject()) {
                throw new IllegalArgumentException("setting model.sizes must be a JSON object of SAM's sizes");
            }
            b.optSizes(SamConfig.fromJson(s.getAsJsonObject()));
        }
        b.optDevice(j.string("device", b.device));
        if (j.has("devices")) {
            JsonElement d = j.element("devices");
            if (!d.isJsonArray()) {
                throw new IllegalArgumentException("setting model.devices must be a list of device names");
            }
            java.util.List<String> list = new java.util.ArrayList<>();
            d.getAsJsonArray().forEach(e -> list.add(e.getAsString()));
            b.optDevices(list);
        }
        b.optCacheFolder(j.path("cacheFolder", null));
        b.optCacheFloat16(j.bool("cacheFloat16", b.cacheFloat16));
        b.optUseCache(j.bool("useCache", b.useCache));
        b.optEncoderPrecision(j.string("encoderPrecision", b.encoderPrecision));
        if (j.has("adapter")) {
            b.optAdapter(io.samtune.core.model.LoraConfig.fromJson(j.element("adapter")));
        }
        b.optTrainPromptEncoder(j.bool("trainPromptEncoder", false));
        j.finish();
        return b.build();
    }

    @Override
    public String toString() {
        return "ModelConfig" + toJson();
    }

    /** Builds a {@link ModelConfig}. */
    public static final class Builder {
        private Path checkpoint;
        private SamConfig sizes;
        private String device = "auto";
        private java.util.List<String> devices = java.util.List.of();
        private Path cacheFolder;
        private boolean cacheFloat16 = true;
        private boolean useCache = true;
        private String encoderPrecision = "float32";
        private io.samtune.core.model.LoraConfig adapter;
        private boolean trainPromptEncoder;

        /** Also train the prompt encoder's learned embeddings (false: it stays frozen). */
        public Builder optTrainPromptEncoder(boolean v) {
            trainPromptEncoder = v;
            return this;
        }

        private Builder() {
        }

        /** LoRA adapters trained on the image encoder with the decoder (none: the decoder alone). */
        public Builder optAdapter(io.samtune.core.model.LoraConfig v) {
            adapter = v;
            return this;
        }

        /** The SAM checkpoint (required). */
        public Builder setCheckpoint(Path v) {
            checkpoint = v;
            return this;
        }

        /** The sizes (inferred from the checkpoint when not given). */
        public Builder optSizes(SamConfig v) {
            sizes = v;
            return this;
        }

        /** The device spec (auto). */
        public Builder optDevice(String v) {
            device = v;
            return this;
        }

        /** Devices to train on, one replica each (none: the one device). */
        public Builder optDevices(java.util.List<String> v) {
            devices = v;
            return this;
        }

        /** The embedding cache folder (the default folder). */
        public Builder optCacheFolder(Path v) {
            cacheFolder = v;
            return this;
        }

        /** Cached embeddings as float16 (true) or float32. */
        public Builder optCacheFloat16(boolean v) {
            cacheFloat16 = v;
            return this;
        }

        /** Use the embedding cache (true). */
        public Builder optUseCache(boolean v) {
            useCache = v;
            return this;
        }

        /** The type the image encoder computes in: float32 (default) or float16. */
        public Builder optEncoderPrecision(String v) {
            encoderPrecision = v;
            return this;
        }

        /** The checkpoint given so far, or null. */
        public Path checkpoint() {
            return checkpoint;
        }

        /** Validates and builds. */
        public ModelConfig build() {
            return new ModelConfig(checkpoint, sizes, device, devices, cacheFolder, cacheFloat16, useCache, encoderPrecision,
                    adapter, trainPromptEncoder);
        }
    }
}
