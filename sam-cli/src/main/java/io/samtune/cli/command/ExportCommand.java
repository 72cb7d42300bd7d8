package io.samtune.cli.command;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.samtune.cli.option.ModelOptions;
import io.samtune.core.SamModel;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.Safetensors;
import io.samtune.core.checkpoint.TorchSave;
import io.samtune.core.config.ModelConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune export}: a whole SAM checkpoint with a run's decoder, and its adapters folded into
 * the image encoder's qkv weights, which the official code loads as an ordinary checkpoint.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a whole SAM checkpoint holding a run's decoder, its LoRA adapters folded into the encoder.",
        footer = {"", "OUT.pth is torch.save's zip format; OUT.safetensors the safetensors format. Either has the base",
            "checkpoint's keys and shapes, so segment_anything loads it with load_state_dict(strict=True), and",
            "it predicts what `samtune predict --decoder RUN_DIR` predicts.",
            "Exit codes: 0 written; 1 unreadable input; 2 bad options."})
public final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--decoder", required = true, paramLabel = "FILE|RUN_DIR", description = "A decoder file, or a train run folder (its decoder-best: what its --select chose).")
    Path decoder;

    @Option(names = "--merged", required = true, paramLabel = "OUT.pth|OUT.safetensors", description = "The checkpoint to write.")
    Path merged;

    @Option(names = "--force", description = "Replace --merged when it exists (never the base checkpoint itself).")
    boolean force;

    /** Runs the command; returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new ExportCommand(), out, err, args);
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(Commands.execute(new ExportCommand(), args));
    }

    /** The SHA-256 of the base checkpoint a run folder's run.json records, or null (a decoder file, an older run). */
    private static String trainedSha256(Path decoder) {
        Path run = decoder.resolve(io.samtune.train.RunDirectory.RUN);
        if (!Files.isDirectory(decoder) || !Files.isRegularFile(run)) {
            return null;
        }
        try {
            com.google.gson.JsonElement json = io.samtune.data.StrictJson.read(run);
            return json.isJsonObject() && json.getAsJsonObject().has("checkpointSha256")
                    ? json.getAsJsonObject().get("checkpointSha256").getAsString() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        String name = merged.getFileName() == null ? "" : merged.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean pth = name.endsWith(".pth") || name.endsWith(".pt");
        if (!pth && !name.endsWith(".safetensors")) {
            throw Commands.badOption(spec, "--merged " + merged + ": name it .pth (torch.save) or .safetensors; the"
                    + " format follows the extension");
        }
        if (Files.exists(merged) && !force) {
            throw Commands.badOption(spec, "--merged " + merged + " exists; choose another name, or add --force to replace"
                    + " it (nothing was written)");
        }
        ModelConfig config;
        try {
            ModelConfig.Builder b = model.apply(null, spec);
            io.samtune.core.SamConfig recorded = model.hasConfig() ? null : PredictCommand.runSizes(decoder);
            if (recorded != null) {
                b.optSizes(recorded);
            }
            config = b.build();
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage());
        }
        try (SamModel sam = SamModel.load(config.checkpoint(), config.sizes(), io.samtune.core.Engines.device("cpu"))) {
            if (!sam.hasImageEncoder()) {
                throw new CheckpointException(config.checkpoint(), "holds no image encoder; export needs the whole base"
                        + " checkpoint the run trained on");
            }
            if (Files.exists(merged) && Files.isSameFile(merged, config.checkpoint())) {
                throw Commands.badOption(spec, "--merged " + merged + " is the base checkpoint; write the merged one beside"
                        + " it (nothing was written)");
            }
            Path file = PredictCommand.decoderFile(decoder);
            String trainedOn = trainedSha256(decoder);
            if (trainedOn != null && !trainedOn.equals(io.samtune.core.io.Sha256.of(config.checkpoint()))) {
                err.println("error: " + decoder + " was trained on another base checkpoint than " + config.checkpoint()
                        + " (its run.json records another SHA-256); give that checkpoint with --checkpoint (nothing was"
                        + " written)");
                return 1;
            }
            sam.loadDecoder(file);
            try (NDManager scope = sam.manager().newSubManager()) {
                Map<String, NDArray> weights = sam.mergedWeights(scope);
                Path parent = merged.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                if (pth) {
                    String stem = merged.getFileName().toString().replaceFirst("(?i)\\.(pth|pt)$", "");
                    TorchSave.write(weights, stem.isEmpty() ? "archive" : stem.replaceAll("[^A-Za-z0-9_-]", "_"), merged);
                } else {
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put("format", "samtune-merged-sam");
                    meta.put("config", sam.config().toJson().toString());
                    meta.put("decoder", file.toAbsolutePath().toString());
                    Safetensors.write(weights, meta, merged, false);
                }
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "%s: %s with %s from %s%s -> %s%n", config.checkpoint()
                    .getFileName(), sam.config().encoderDepth() + "-block SAM", "the decoder", file,
                    sam.adapters() == null ? "" : " and its adapters " + sam.adapters() + " folded into the qkv weights",
                    merged);
            return 0;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }
}
