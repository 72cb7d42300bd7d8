package io.samtune.core.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.core.PromptMode;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.ConfigJson;
import io.samtune.data.DatasetException;
import io.samtune.data.SampleSource;
import io.samtune.data.SampleSources;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import io.samtune.data.SplitSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which slices a job reads and how each becomes a model input: the data folder, the patient-level
 * split (with its own seed, so changing the training seed never moves a patient between parts),
 * the prompt made from each mask, the box jitter of training and the intensity window. Build with
 * {@link #builder()}; every setting but the folder has a default.
 *
 * @param folder the data folder: {@code .mat} slices (searched recursively), BraTS case folders,
 *     a Decathlon task or a PNG folder ({@link SampleSources})
 * @param split how patients are divided into train, validation and test parts
 * @param skipInvalid leave invalid slice files out (listed) instead of failing (false)
 * @param prompt the prompt made from each slice's mask (box)
 * @param boxJitter largest random move of each box side while training, pixels (0); scoring never jitters
 * @param window intensity window to 8 bits (minmax)
 * @param source how the folder is read: its layout, and for volumes the image, labels and slices kept
 */
public record DataConfig(Path folder, SplitSpec split, boolean skipInvalid, PromptMode prompt, int boxJitter,
                         IntensityWindow window, SourceOptions source) {

    /** The largest box jitter accepted, pixels (more than any slice's side). */
    public static final int MAX_BOX_JITTER = 4096;

    /** Validates. */
    public DataConfig {
        Objects.requireNonNull(folder, "folder: give the data folder");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(source, "source");
        if (boxJitter < 0 || boxJitter > MAX_BOX_JITTER) {
            throw new IllegalArgumentException("boxJitter must be in 0.." + MAX_BOX_JITTER + " pixels, got " + boxJitter);
        }
    }

    /** A builder with every default; {@link Builder#setFolder} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** This config as a builder, to change a few settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.folder = folder;
        b.split = split;
        b.skipInvalid = skipInvalid;
        b.prompt = prompt;
        b.boxJitter = boxJitter;
        b.window = window;
        b.source = source;
        return b;
    }

    /**
     * Lists the folder's samples.
     *
     * @throws DatasetException if the folder is missing, empty, of no known layout, or holds invalid
     *     files (unless skipped)
     */
    public SliceIndex scan() throws IOException {
        return openSource().scan(skipInvalid);
    }

    /** The source that reads the folder. */
    public SampleSource openSource() throws IOException {
        return SampleSources.open(folder, source);
    }

    /** Every setting as JSON; {@link #fromJson} reads it back to an equal config. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("folder", folder.toString());
        o.add("split", split.toJson());
        o.addProperty("skipInvalid", skipInvalid);
        o.addProperty("prompt", prompt.label());
        o.addProperty("boxJitter", boxJitter);
        o.addProperty("window", window.toString());
        if (!source.isDefault()) { // runs of .mat slices record what they always did
            o.add("source", source.toJson());
        }
        return o;
    }

    /**
     * A config from JSON written by {@link #toJson}; absent keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown keys, wrong types or values out of range
     */
    public static DataConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("data", json);
        Builder b = builder();
        if (j.has("folder")) {
            b.setFolder(j.path("folder", null));
        }
        if (j.has("split")) {
            b.optSplit(SplitSpec.fromJson(j.element("split")));
        }
        b.optSkipInvalid(j.bool("skipInvalid", b.skipInvalid));
        b.optPrompt(PromptMode.parse(j.string("prompt", b.prompt.label())));
        b.optBoxJitter(j.int32("boxJitter", b.boxJitter));
        b.optWindow(IntensityWindow.parse(j.string("window", b.window.toString())));
        if (j.has("source")) {
            b.optSource(SourceOptions.fromJson(j.element("source")));
        }
        j.finish();
        return b.build();
    }

    @Override
    public String toString() {
        return "DataConfig" + toJson();
    }

    /** Builds a {@link DataConfig}. */
    public static final class Builder {
        private Path folder;
        private SplitSpec split = SplitSpec.defaults();
        private boolean skipInvalid;
        private PromptMode prompt = PromptMode.BOX;
        private int boxJitter;
        private IntensityWindow window = IntensityWindow.minMax();
        private SourceOptions source = SourceOptions.defaults();

        private Builder() {
        }

        /** The data folder (required). */
        public Builder setFolder(Path v) {
            folder = v;
            return this;
        }

        /** The patient split (10% validation, 20% test, split seed 42). */
        public Builder optSplit(SplitSpec v) {
            split = v;
            return this;
        }

        /** Leave invalid files out instead of failing (false). */
        public Builder optSkipInvalid(boolean v) {
            skipInvalid = v;
            return this;
        }

        /** The prompt made from each mask (box). */
        public Builder optPrompt(PromptMode v) {
            prompt = v;
            return this;
        }

        /** Training box jitter in pixels (0). */
        public Builder optBoxJitter(int v) {
            boxJitter = v;
            return this;
        }

        /** The intensity window (minmax). */
        public Builder optWindow(IntensityWindow v) {
            window = v;
            return this;
        }

        /** How the folder is read (its layout found by itself; whole tumour; slices with tumour). */
        public Builder optSource(SourceOptions v) {
            source = v;
            return this;
        }

        /** How the folder is read, as set so far. */
        public SourceOptions source() {
            return source;
        }

        /** The folder given so far, or null. */
        public Path folder() {
            return folder;
        }

        /** Validates and builds. */
        public DataConfig build() {
            return new DataConfig(folder, split, skipInvalid, prompt, boxJitter, window, source);
        }
    }
}
