package io.samtune.core.cli;

import io.samtune.core.Engines;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.checkpoint.CheckpointException;
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

    /** The checkpoint path, or null when not given. */
    public Path checkpoint() {
        return checkpoint;
    }

    /** Sets the checkpoint when the command has a default. */
    public void defaultCheckpoint(Path p) {
        if (checkpoint == null) {
            checkpoint = p;
        }
    }

    /** Sets the config when the command has a default and none was given. */
    public void defaultConfig(Path p) {
        if (config == null) {
            config = p;
        }
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
        try {
            return SamModel.load(checkpoint, c, Engines.device(device));
        } catch (CheckpointException e) {
            throw e;
        }
    }
}
