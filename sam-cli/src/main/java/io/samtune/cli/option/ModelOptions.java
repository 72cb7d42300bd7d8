package io.samtune.cli.option;

import io.samtune.core.Engines;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that choose a SAM checkpoint, its sizes and the device; shared by every command. */
public final class ModelOptions {

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "SAM checkpoint: .pth (torch.save) or .safetensors.")
    Path checkpoint;

    @Option(names = "--config", paramLabel = "FILE.json", description = "Model sizes as JSON (default: inferred from the checkpoint; the decoder's head count is then 8).")
    Path config;

    @Option(names = "--device", paramLabel = "D", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    /** The project folder (the launcher sets {@code samtune.root}), where the bundled demo files are. */
    public static Path projectRoot() {
        String r = System.getProperty("samtune.root");
        return r != null ? Path.of(r) : Path.of("").toAbsolutePath();
    }

    /** The bundled demo slices, {@code testdata/demo}. */
    public static Path demoData() {
        return projectRoot().resolve("testdata/demo");
    }

    /**
     * Chooses the bundled tiny SAM ({@code testdata/reference/tiny-sam.pth} and its config) when no
     * checkpoint was given.
     *
     * @return true when the bundled model was chosen
     */
    public boolean useBundledModelIfNone() {
        if (checkpoint != null) {
            return false;
        }
        checkpoint = projectRoot().resolve("testdata/reference/tiny-sam.pth");
        if (config == null) {
            config = projectRoot().resolve("testdata/reference/tiny-sam-config.json");
        }
        return true;
    }

    /** The checkpoint path, or null when not given. */
    public Path checkpoint() {
        return checkpoint;
    }

    /** The device spec. */
    public String device() {
        return device;
    }

    /** The config file, or null. */
    public Path config() {
        return config;
    }

    /**
     * Loads the model these options describe.
     *
     * @throws IOException if the config or checkpoint cannot be used
     * @throws IllegalArgumentException for a bad device
     */
    public SamModel load() throws IOException {
        if (checkpoint == null) {
            throw new IllegalArgumentException("--checkpoint is required");
        }
        SamConfig c = config == null ? null : SamConfig.fromJson(config);
        return SamModel.load(checkpoint, c, Engines.device(device));
    }
}
