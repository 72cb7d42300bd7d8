package io.samtune.cli.option;

import io.samtune.core.SamConfig;
import io.samtune.core.config.ModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options that choose a SAM checkpoint, its sizes and the device; shared by every command that loads a model. */
public final class ModelOptions {

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "SAM checkpoint: .pth (torch.save) or .safetensors (default: the bundled tiny SAM).")
    Path checkpoint;

    @Option(names = "--config", paramLabel = "FILE.json", description = "Model sizes as JSON (default: inferred from the checkpoint; the decoder's head count is then 8).")
    Path config;

    @Option(names = "--device", paramLabel = "D", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    Converters.DeviceSpec device;

    @Option(names = "--precision", paramLabel = "float32|float16", description = "The type the image encoder computes in (default: float32). float16 is for GPUs: half the memory and, there, less time; on a CPU it is slower. Embeddings of each precision are cached apart. (bfloat16 is not available in this engine.)")
    String precision;

    /** True when a checkpoint was given. */
    public boolean hasCheckpoint() {
        return checkpoint != null;
    }

    /** True when {@code --config} was given. */
    public boolean hasConfig() {
        return config != null;
    }

    /** The device spec. */
    public String device() {
        return device.spec();
    }

    /**
     * Applies the given options to a model config: the bundled tiny SAM when neither they nor
     * {@code base} name a checkpoint.
     *
     * @param base the settings to start from (a run's), or null
     * @throws IOException if the bundled sizes cannot be read
     * @throws IllegalArgumentException for a missing or malformed {@code --config}
     */
    public ModelConfig.Builder apply(ModelConfig base, CommandSpec spec) throws IOException {
        ModelConfig.Builder b = base != null ? base.toBuilder() : ModelConfig.builder();
        if (checkpoint != null) {
            b.setCheckpoint(checkpoint);
            b.optSizes(null);
        } else if (base == null) {
            b.setCheckpoint(Demo.checkpoint());
            b.optSizes(SamConfig.fromJson(Demo.sizes()));
        }
        if (config != null) {
            if (!java.nio.file.Files.isRegularFile(config)) {
                throw new IllegalArgumentException("--config " + config + ": no such file");
            }
            try {
                b.optSizes(SamConfig.fromJson(config));
            } catch (IOException e) {
                throw new IllegalArgumentException("--config " + e.getMessage());
            }
        }
        if (precision != null) {
            if (precision.equals("bfloat16")) {
                throw new IllegalArgumentException("--precision bfloat16 is not available: DJL's PyTorch engine aborts"
                        + " the process on bfloat16 arrays; use --precision float16 (or float32)");
            }
            if (!ModelConfig.PRECISIONS.contains(precision)) {
                throw new IllegalArgumentException("--precision must be one of " + String.join(", ",
                        ModelConfig.PRECISIONS) + ", not '" + precision + "'");
            }
            b.optEncoderPrecision(precision);
        }
        if (Options.given(spec, "--device") || base == null) {
            b.optDevice(device.spec());
        }
        return b;
    }
}
