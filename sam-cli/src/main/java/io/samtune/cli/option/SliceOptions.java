package io.samtune.cli.option;

import io.samtune.core.PromptMode;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.image.IntensityWindow;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options that choose the slices, how they are prompted and preprocessed, and where their
 * embeddings are cached; shared by {@code train} and {@code test-accuracy} so both read the same
 * data the same way.
 */
public final class SliceOptions {

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of slice .mat files (default: the bundled demo slices).")
    Path data;

    @Option(names = "--prompt", paramLabel = "box|point|box+point", description = "Prompt made from each mask (default: ${DEFAULT-VALUE}).")
    String prompt = "box";

    @Option(names = "--cache", paramLabel = "DIR", description = "Embedding cache folder (default: ~/.cache/samtune/embeddings).")
    Path cache;

    @Option(names = "--window", paramLabel = "minmax|LOW,HIGH", description = "Intensity window: minmax or percentiles (default: ${DEFAULT-VALUE}).")
    String window = "minmax";

    @Option(names = "--skip-invalid", description = "Leave invalid slice files out (listed) instead of failing.")
    boolean skipInvalid;

    /** The data folder, or the bundled demo slices. */
    public Path data() {
        return data != null ? data : ModelOptions.demoData();
    }

    /**
     * The prompt kind.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public PromptMode prompt() {
        return PromptMode.parse(prompt);
    }

    /**
     * The intensity window.
     *
     * @throws IllegalArgumentException for a malformed window
     */
    public IntensityWindow window() {
        return IntensityWindow.parse(window);
    }

    /** The embedding cache folder, or the default one. */
    public Path cacheFolder() {
        return cache != null ? cache : EmbeddingCache.defaultFolder();
    }

    /** True when invalid files are skipped. */
    public boolean skipInvalid() {
        return skipInvalid;
    }
}
