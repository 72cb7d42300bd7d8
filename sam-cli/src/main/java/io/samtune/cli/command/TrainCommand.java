package io.samtune.cli.command;

import io.samtune.train.DecoderTrainer;
import io.samtune.core.Engines;
import io.samtune.train.LearningRateSchedule;
import io.samtune.train.ProgressReporter;
import io.samtune.train.RunDirectory;
import io.samtune.train.SliceTrainingData;
import io.samtune.train.TrainingConfig;
import io.samtune.train.TrainingDivergedException;
import io.samtune.train.TrainingResult;

import ai.djl.engine.Engine;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.cli.option.ModelOptions;
import io.samtune.cli.option.SliceOptions;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.DataSplit;
import io.samtune.data.DatasetException;
import io.samtune.data.MatFileException;
import io.samtune.data.SliceIndex;
import io.samtune.data.SliceInfo;
import io.samtune.cli.option.SplitOptions;
import io.samtune.eval.DiceScorer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune train}: fine-tunes SAM's mask decoder on a brain tumour dataset folder. With no
 * options it fine-tunes the bundled tiny model on the bundled demo slices.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune SAM's mask decoder on brain tumour slices (image and prompt encoders frozen).",
        footer = {"", "Without --checkpoint: the bundled tiny model on testdata/demo (30 epochs, lr 5e-3).",
            "Exit codes: 0 done; 1 bad data, checkpoint or divergence (the last good checkpoint is kept); 2 bad options."})
public final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    SliceOptions slices = new SliceOptions();

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "Run folder for checkpoints and logs (default: runs/train-<date-time>).")
    Path out;

    @Option(names = "--box-jitter", paramLabel = "PX", description = "Move each box side by up to PX pixels at random while training (default: 0).")
    int boxJitter;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training part (default: 10; 30 for the demo).")
    Integer epochs;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps instead of epochs.")
    Long steps;

    @Option(names = "--batch-size", paramLabel = "B", description = "Slices per decoder call (default: ${DEFAULT-VALUE}).")
    int batchSize = 4;

    @Option(names = "--grad-accumulation", paramLabel = "K", description = "Decoder calls per optimizer step (default: ${DEFAULT-VALUE}).")
    int gradAccumulation = 1;

    @Option(names = "--lr", paramLabel = "X", description = "Learning rate (default: 1e-4; 5e-3 for the demo).")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "adam|adamw", description = "Optimizer (default: ${DEFAULT-VALUE}).")
    String optimizer = "adam";

    @Option(names = "--weight-decay", paramLabel = "X", description = "Weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--schedule", paramLabel = "constant|step|cosine", description = "Learning-rate schedule (default: ${DEFAULT-VALUE}).")
    String schedule = "constant";

    @Option(names = "--warmup", paramLabel = "N", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--loss", paramLabel = "dice|dice+bce", description = "Loss (default: ${DEFAULT-VALUE}).")
    String loss = "dice";

    @Option(names = "--low-res-loss", description = "Compute the loss on the low-res logits against a resized mask.")
    boolean lowResLoss;

    @Mixin
    SplitOptions split = new SplitOptions();

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Also checkpoint every N steps (default: epoch ends only).")
    int checkpointEvery;

    @Option(names = "--no-cache", description = "Recompute every embedding at every step (slow; for comparisons).")
    boolean noCache;

    @Option(names = "--cache-dtype", paramLabel = "float16|float32", description = "Precision of cached embeddings (default: ${DEFAULT-VALUE}).")
    String cacheDtype = "float16";

    @Option(names = "--resume", description = "Continue the run saved in --out.")
    boolean resume;

    /** Runs {@code samtune train} with these arguments; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return new CommandLine(new TrainCommand()).setOut(out).setErr(err).execute(args);
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean demo = model.useBundledModelIfNone();
        if (out == null) {
            if (resume) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--resume needs the run folder: --out RUN_DIR");
            }
            out = Path.of("runs", "train-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        TrainingConfig config;
        IntensityWindow win;
        try {
            win = slices.window();
            TrainingConfig.Builder b = TrainingConfig.builder().optPrompt(slices.prompt()).optBoxJitter(boxJitter)
                    .optLoss(TrainingConfig.Loss.parse(loss)).optLowResLoss(lowResLoss)
                    .optOptimizer(TrainingConfig.Optimizer.parse(optimizer)).optWeightDecay(weightDecay)
                    .optLearningRate(lr != null ? lr : demo ? 5e-3 : 1e-4)
                    .optSchedule(LearningRateSchedule.Kind.parse(schedule), warmup).optBatchSize(batchSize)
                    .optGradAccumulation(gradAccumulation).optSeed(split.seed()).optCheckpointEvery(checkpointEvery)
                    .optWindow(win).optCacheFloat16(parseDtype(cacheDtype))
                    .optEpochs(epochs != null ? epochs : demo ? 30 : 10);
            if (steps != null) {
                if (epochs != null) {
                    throw new IllegalArgumentException("give --epochs or --steps, not both");
                }
                b.optMaxSteps(steps);
            }
            config = b.build();
            split.toSpec();
            io.samtune.core.Engines.device(model.device());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        RunDirectory run = new RunDirectory(out);
        if (run.hasState() && !resume) {
            err.println("error: " + out + " already holds a training run; pass --resume to continue it, or choose"
                    + " another --out (nothing was overwritten)");
            return 1;
        }
        if (resume && !run.hasState()) {
            err.println("error: nothing to resume in " + out + ": it holds no " + RunDirectory.STATE);
            return 1;
        }
        try {
            SliceIndex index = SliceIndex.scan(slices.data(), slices.skipInvalid());
            index.skipped().forEach(e -> err.println("skipped: " + e.getMessage()));
            DataSplit parts = split.toSpec().split(index);
            o.println("data: " + index + System.lineSeparator() + "split: " + parts);
            try (SamModel sam = model.load(); DecoderTrainer trainer = new DecoderTrainer(sam, config)) {
                o.println("model: " + sam);
                EmbeddingCache embeddings = new EmbeddingCache(slices.cacheFolder(), sam, win,
                        config.cacheFloat16());
                SliceTrainingData train = noCache
                        ? new SliceTrainingData(parts.train(), sam, win, config.prompt(), config.boxJitter())
                        : new SliceTrainingData(parts.train(), embeddings, config.prompt(), config.boxJitter());
                boolean terminal = System.console() != null;
                o.printf(Locale.ROOT, "embedding cache: %s%n", embeddings.folder());
                train.warmCache(sam.manager(), i -> {
                    if (terminal) {
                        err.printf(Locale.ROOT, "\rencoding slices (once per encoder): %d/%d", i, parts.train().size());
                        err.flush();
                    }
                });
                if (terminal) {
                    err.println();
                }
                DiceScorer scorer = new DiceScorer(sam, embeddings, config.prompt(), win);
                DecoderTrainer.Validator validator = parts.validation().isEmpty() ? null
                        : () -> DiceScorer.meanDice(scorer.score(parts.validation(), null));
                if (!resume) {
                    run.writeRunInfo(runInfo(config, sam, parts, index));
                }
                trainer.addListener(new ProgressReporter(err, terminal, 10));
                TrainingResult result = trainer.fit(train, validator, run, resume);
                o.println(result);
                o.println("results in " + out.toAbsolutePath() + ":");
                o.println("  " + RunDirectory.DECODER_BEST + "  (best validation Dice)   " + RunDirectory.DECODER_LAST
                        + "  (latest)");
                o.println("  " + RunDirectory.METRICS + ", " + RunDirectory.CURVES + ", " + RunDirectory.RUN);
                o.println("score it: samtune test-accuracy --decoder " + out + " ...");
                return 0;
            }
        } catch (DatasetException | MatFileException | CheckpointException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (TrainingDivergedException e) {
            err.println();
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static boolean parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "float16", "f16", "half" -> true;
            case "float32", "f32", "float" -> false;
            default -> throw new IllegalArgumentException("--cache-dtype must be float16 or float32, got '" + s + "'");
        };
    }

    private JsonObject runInfo(TrainingConfig config, SamModel sam, DataSplit parts, SliceIndex index) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("samtune", "0.1.0");
        o.addProperty("djl", Engine.getDjlVersion());
        o.addProperty("libtorch", Engine.getEngine("PyTorch").getVersion());
        o.addProperty("java", System.getProperty("java.version"));
        o.addProperty("started", LocalDateTime.now().toString());
        o.addProperty("device", sam.device().toString());
        o.addProperty("seed", config.seed());
        o.add("training", config.toJson());
        o.add("model", sam.config().toJson());
        o.addProperty("checkpoint", model.checkpoint().toAbsolutePath().toString());
        o.addProperty("checkpointSha256", sha256(model.checkpoint()));
        o.addProperty("split", split.toSpec().toString());
        o.addProperty("dataFolder", index.root().toAbsolutePath().toString());
        o.add("train", files(parts.train()));
        o.add("validation", files(parts.validation()));
        o.add("test", files(parts.test()));
        return o;
    }

    private static JsonArray files(List<SliceInfo> slices) throws IOException {
        JsonArray a = new JsonArray();
        for (SliceInfo s : slices) {
            JsonObject f = new JsonObject();
            f.addProperty("file", s.name());
            f.addProperty("label", s.label().code());
            f.addProperty("pid", s.patientId());
            f.addProperty("sha256", sha256(s.file()));
            a.add(f);
        }
        return a;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
