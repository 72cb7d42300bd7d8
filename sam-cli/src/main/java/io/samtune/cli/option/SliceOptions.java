package io.samtune.cli.option;

import io.samtune.core.PromptMode;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.core.image.IntensityWindow;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options that choose the slices, how they are prompted and preprocessed, and where their
 * embeddings are cached; shared by {@code train} and {@code test-accuracy} so both read the same
 * data the same way.
 */
public final class SliceOptions {

    @Option(names = "--data", paramLabel = "DIR", description = "Data folder: .mat slices, BraTS case folders, a Decathlon task or images/ with masks/ (default: the bundled demo slices).")
    Path data;

    @picocli.CommandLine.Mixin
    SourceOptionGroup source = new SourceOptionGroup();

    @Option(names = "--prompt", paramLabel = "box|point|box+point", description = "Prompt made from each mask (default: ${DEFAULT-VALUE}).")
    PromptMode prompt;

    @Option(names = "--cache", paramLabel = "DIR", description = "Embedding cache folder (default: ~/.cache/samtune/embeddings).")
    Path cache;

    @Option(names = "--window", paramLabel = "minmax|LOW,HIGH|volume[:LOW,HIGH]", description = "Intensity window per slice (minmax or percentiles) or per volume (default: ${DEFAULT-VALUE}).")
    IntensityWindow window;

    @Option(names = "--skip-invalid", description = "Leave invalid slice files out (listed) instead of failing.")
    boolean skipInvalid;

    @Option(names = "--max-image-side", paramLabel = "PX", description = "Largest slice side accepted, pixels (default: 4096); larger files are refused before they are decoded.")
    Integer maxImageSide;

    /** Applies the given options to data settings (the bundled demo slices when no folder is known). */
    public DataConfig.Builder apply(DataConfig.Builder b, CommandSpec spec) {
        if (maxImageSide != null) {
            if (maxImageSide < 1) {
                throw new IllegalArgumentException("--max-image-side must be >= 1, got " + maxImageSide);
            }
            System.setProperty(io.samtune.data.MatSliceReader.MAX_SIDE_PROPERTY, maxImageSide.toString());
        }
        if (data != null) {
            b.setFolder(data);
        } else if (b.folder() == null) {
            b.setFolder(Demo.data());
        }
        if (source.given() || source.maxVoxels != null) {
            b.optSource(source.toOptions(b.source()));
        }
        if (Options.given(spec, "--prompt")) {
            b.optPrompt(prompt);
        }
        if (Options.given(spec, "--window")) {
            b.optWindow(window);
        }
        if (skipInvalid) {
            b.optSkipInvalid(true);
        }
        return b;
    }

    /** Applies the cache folder, when given, to model settings. */
    public ModelConfig.Builder apply(ModelConfig.Builder b) {
        if (cache != null && java.nio.file.Files.exists(cache) && !java.nio.file.Files.isDirectory(cache)) {
            throw new IllegalArgumentException("--cache " + cache + " is a file, not a folder");
        }
        if (cache != null) {
            b.optCacheFolder(cache);
        }
        return b;
    }
}
