package io.samtune.cli.command;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.cli.option.Demo;
import io.samtune.cli.option.ModelOptions;
import io.samtune.cli.option.Options;
import io.samtune.cli.option.SliceOptions;
import io.samtune.cli.option.SplitOptions;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.data.DataSplit;
import io.samtune.data.DatasetException;
import io.samtune.data.MatFileException;
import io.samtune.data.SliceIndex;
import io.samtune.train.FineTuning;
import io.samtune.train.LearningRateSchedule;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.RunConfig;
import io.samtune.train.RunDirectory;
import io.samtune.train.ScheduleConfig;
import io.samtune.train.TrainingConfig;
import io.samtune.train.TrainingDivergedException;
import io.samtune.train.TrainingInterruptedException;
import io.samtune.train.TrainingResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune train}: builds a {@link TrainingConfig} from the options (over a saved
 * {@code run.json} with {@code --settings}) and runs {@link FineTuning}. With no options it
 * fine-tunes the bundled tiny model on the bundled demo slices.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune SAM's mask decoder on brain tumour slices (image and prompt encoders frozen).",
        footer = {"", "Without --checkpoint: the bundled tiny model on testdata/demo (30 epochs, lr 5e-3, --select last).",
            "--settings RUN_DIR/run.json starts from a saved run's settings; options given beside it override them.",
            "SIGTERM or Ctrl-C: the current step is finished and checkpointed; continue with --resume.",
            "Exit codes: 0 done; 1 bad data, checkpoint or divergence (the last good checkpoint is kept); 2 bad options;",
            "143 stopped by SIGTERM, 130 by Ctrl-C (resumable)."})
public final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--settings", paramLabel = "RUN_DIR/run.json", description = "Start from the settings of a saved run (its run.json, or its folder).")
    Path settings;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    SliceOptions slices = new SliceOptions();

    @Mixin
    io.samtune.cli.option.AdapterOptions adapters = new io.samtune.cli.option.AdapterOptions();

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "Run folder for checkpoints and logs (default: runs/train-<date-time>).")
    Path out;

    @Option(names = "--box-jitter", paramLabel = "PX", description = "Move each box side by up to PX pixels at random while training (default: ${DEFAULT-VALUE}).")
    int boxJitter;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training part (default: ${DEFAULT-VALUE}; 30 for the demo).")
    int epochs;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps instead of epochs.")
    Long steps;

    @Option(names = "--batch-size", paramLabel = "B", description = "Slices per decoder call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accumulation", paramLabel = "K", description = "Decoder calls per optimizer step (default: ${DEFAULT-VALUE}).")
    int gradAccumulation;

    @Option(names = "--lr", paramLabel = "X", description = "Learning rate (default: ${DEFAULT-VALUE}; 5e-3 for the demo).")
    double lr;

    @Option(names = "--optimizer", paramLabel = "adam|adamw", description = "Optimizer (default: ${DEFAULT-VALUE}).")
    OptimizationConfig.Algorithm optimizer;

    @Option(names = "--beta1", paramLabel = "B1", description = "Adam's first-moment decay (default: ${DEFAULT-VALUE}).")
    double beta1;

    @Option(names = "--beta2", paramLabel = "B2", description = "Adam's second-moment decay (default: ${DEFAULT-VALUE}).")
    double beta2;

    @Option(names = "--eps", paramLabel = "E", description = "Adam's epsilon (default: ${DEFAULT-VALUE}).")
    double eps;

    @Option(names = "--weight-decay", paramLabel = "X", description = "Weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--schedule", paramLabel = "constant|step|cosine", description = "Learning-rate schedule (default: ${DEFAULT-VALUE}).")
    LearningRateSchedule.Kind schedule;

    @Option(names = "--warmup", paramLabel = "N", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--step-size", paramLabel = "N", description = "Steps between decays of --schedule step (default: ${DEFAULT-VALUE}).")
    int stepSize;

    @Option(names = "--step-gamma", paramLabel = "G", description = "Decay factor of --schedule step (default: ${DEFAULT-VALUE}).")
    double stepGamma;

    @Option(names = "--patience", paramLabel = "N", description = "Stop when validation Dice has not improved for N epochs (default: never).")
    int patience;

    @Option(names = "--loss", paramLabel = "dice|dice+bce", description = "Loss (default: ${DEFAULT-VALUE}).")
    OptimizationConfig.Loss loss;

    @Option(names = "--low-res-loss", description = "Compute the loss on the low-res logits against a resized mask.")
    boolean lowResLoss;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the training randomness: sample order, box jitter (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    SplitOptions split = new SplitOptions();

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Also checkpoint every N steps (default: epoch ends only).")
    int checkpointEvery;

    @Option(names = "--checkpoint-seconds", paramLabel = "S", description = "Also checkpoint when S seconds have passed since the last one (for schedulers that preempt; default: never).")
    int checkpointSeconds;

    @Option(names = "--select", paramLabel = "best-val|last", description = "What decoder-best holds (default: ${DEFAULT-VALUE}).")
    RunConfig.Selection select;

    @Option(names = "--devices", paramLabel = "D1,D2,...|all", split = ",", description = "Train on several devices, one decoder replica each (cpu,cpu; gpu:0,gpu:1; all = every GPU); the batch is shared out.")
    List<String> devices;

    @Option(names = "--no-cache", description = "Recompute every embedding at every step (slow; for comparisons).")
    boolean noCache;

    @Option(names = "--cache-dtype", paramLabel = "float16|float32", description = "Precision of cached embeddings (default: ${DEFAULT-VALUE}).")
    String cacheDtype;

    @Option(names = "--federation", paramLabel = "FILE", description = "Train as one site of a federation: its federation.json (keystore password from SAMTUNE_KEYSTORE_PASSWORD). The sites merge their decoders every syncEvery steps; only decoder weights, sample counts and validation scores leave this site.")
    Path federation;

    @Mixin
    WorkerOptions workers = new WorkerOptions();

    @Option(names = "--resume", description = "Continue the run saved in --out.")
    boolean resume;

    /** Runs {@code samtune train} with these arguments; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new TrainCommand(), out, err, args);
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(Commands.execute(new TrainCommand(), args));
    }

    private boolean given(String option) {
        return Options.given(spec, option);
    }

    /**
     * The run's settings: a saved run's (with {@code --settings}) or the library's defaults (the
     * demo's without a checkpoint), then every option given on the command line.
     */
    TrainingConfig settings() throws IOException {
        TrainingConfig base = settings != null ? readSettings(settings) : null;
        boolean demo = base == null && !model.hasCheckpoint();
        TrainingConfig.Builder b = base != null ? base.toBuilder() : TrainingConfig.builder();
        TrainingConfig current = b.build();

        ModelConfig.Builder m = slices.apply(model.apply(base == null ? null : base.model(), spec));
        adapters.apply(m, base == null || base.model() == null ? null : base.model().adapter(), spec);
        if (noCache) {
            m.optUseCache(false);
        }
        if (devices == null && model.device().equalsIgnoreCase("auto")) {
            // one process per GPU under torchrun or SLURM: LOCAL_RANK (SLURM_LOCALID) picks this worker's GPU
            String gpu = Commands.localGpu(workers.launch(spec));
            if (gpu != null) {
                m.optDevice(gpu);
            }
        }
        if (devices != null) {
            List<String> list = new ArrayList<>();
            for (String d : devices) {
                if (d.equalsIgnoreCase("all")) {
                    int gpus = io.samtune.core.Engines.pytorch().getGpuCount();
                    if (gpus == 0) {
                        throw new IllegalArgumentException("--devices all: the PyTorch engine sees no GPU; give devices"
                                + " by name (cpu,cpu to try replicas on the CPU)");
                    }
                    for (int g = 0; g < gpus; g++) {
                        list.add("gpu:" + g);
                    }
                } else {
                    io.samtune.core.Engines.device(d); // checked now: a bad name is an option error
                    list.add(d.trim());
                }
            }
            m.optDevices(list);
        }
        if (given("--cache-dtype")) {
            m.optCacheFloat16(Commands.float16(cacheDtype));
        }
        DataConfig.Builder d = slices.apply(base == null ? DataConfig.builder() : base.data().toBuilder(), spec);
        d.optSplit(split.apply(base == null ? DataConfig.builder().setFolder(Path.of(".")).build().split()
                : base.data().split(), spec));
        if (given("--box-jitter")) {
            d.optBoxJitter(boxJitter);
        }

        OptimizationConfig.Builder o = current.optimization().toBuilder();
        if (given("--lr")) {
            o.optLearningRate(lr);
        } else if (demo) {
            o.optLearningRate(Demo.LEARNING_RATE);
        }
        if (given("--optimizer")) {
            o.optAlgorithm(optimizer);
        }
        if (given("--beta1") || given("--beta2")) {
            o.optBetas(given("--beta1") ? beta1 : current.optimization().beta1(),
                    given("--beta2") ? beta2 : current.optimization().beta2());
        }
        if (given("--eps")) {
            o.optEpsilon(eps);
        }
        if (given("--weight-decay")) {
            o.optWeightDecay(weightDecay);
        }
        if (given("--loss")) {
            o.optLoss(loss);
        }
        if (lowResLoss) {
            o.optLowResLoss(true);
        }
        if (given("--batch-size")) {
            o.optBatchSize(batchSize);
        }
        if (given("--grad-accumulation")) {
            o.optGradAccumulation(gradAccumulation);
        }

        ScheduleConfig.Builder s = current.schedule().toBuilder();
        if (steps != null && given("--epochs")) {
            throw new IllegalArgumentException("give --epochs or --steps, not both");
        }
        if (steps != null) {
            if (steps < 1) {
                throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
            }
            s.optMaxSteps(steps);
        } else if (given("--epochs")) {
            s.optEpochs(epochs);
        } else if (demo) {
            s.optEpochs(Demo.EPOCHS);
        }
        if (given("--schedule")) {
            s.optKind(schedule);
        }
        if (given("--warmup")) {
            s.optWarmupSteps(warmup);
        }
        if (given("--step-size") || given("--step-gamma")) {
            s.optStepDecay(given("--step-size") ? stepSize : current.schedule().stepSize(),
                    given("--step-gamma") ? stepGamma : current.schedule().stepGamma());
        }

        RunConfig.Builder r = current.run().toBuilder();
        if (given("--seed")) {
            r.optSeed(seed);
        }
        if (given("--checkpoint-every")) {
            r.optCheckpointEvery(checkpointEvery);
        }
        if (given("--select")) {
            r.optSelect(select);
        } else if (demo) {
            // the demo's validation part is one slice: too little to choose a decoder on
            r.optSelect(RunConfig.Selection.LAST);
        }
        if (given("--patience")) {
            r.optPatience(patience);
        }
        if (given("--checkpoint-seconds")) {
            r.optCheckpointSeconds(checkpointSeconds);
        }
        return b.optModel(m.build()).optData(d.build()).optOptimization(o.build()).optSchedule(s.build())
                .optRun(r.build()).build();
    }

    private static TrainingConfig readSettings(Path file) throws IOException {
        Path f = Files.isDirectory(file) ? file.resolve(RunDirectory.RUN) : file;
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("--settings " + file + ": no such run.json");
        }
        JsonElement settings;
        try {
            JsonObject run = io.samtune.data.StrictJson.read(f).getAsJsonObject();
            settings = run.get("settings");
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--settings " + f + " is not a samtune run.json: " + e.getMessage());
        }
        if (settings == null) {
            throw new IllegalArgumentException("--settings " + f + " has no \"settings\": it was written by an older"
                    + " samtune; start the run with options instead");
        }
        try {
            return TrainingConfig.fromJson(settings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--settings " + f + ": " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (out == null) {
            if (resume) {
                throw Commands.badOption(spec, "--resume needs the run folder: --out RUN_DIR");
            }
            out = Commands.timestamped("runs", "train");
        }
        TrainingConfig config;
        try {
            config = settings();
        } catch (IllegalArgumentException | IOException e) {
            throw Commands.badOption(spec, e.getMessage());
        }
        if (settings == null && !model.hasCheckpoint() && !config.data().folder().equals(Demo.data())) {
            err.println("warning: no --checkpoint: training the bundled tiny SAM (random weights, for the demo) on "
                    + config.data().folder() + "; pass --checkpoint sam_vit_b_01ec64.pth for real fine-tuning");
        }
        boolean terminal = System.console() != null;
        Counter[] encoding = new Counter[1];
        FineTuning job = new FineTuning(config).addListener(new TrainingProgress(err, terminal, 10))
                .setObserver(new FineTuning.Observer() {
                    @Override
                    public void onModel(SamModel sam, EmbeddingCache cache) {
                        o.println("model: " + sam);
                        if (cache != null) {
                            o.printf(Locale.ROOT, "embedding cache: %s%s%n", cache.folder(), cache.block() < 0 ? ""
                                    : " (the tokens entering block " + cache.block() + ", the first adapted one)");
                        }
                    }

                    @Override
                    public void onData(SliceIndex index, DataSplit parts) {
                        index.skipped().forEach(e -> err.println("skipped: " + e.getMessage()));
                        o.println("data (" + index.source().format() + "): " + index + System.lineSeparator() + "split: " + parts);
                        if (!parts.validation().isEmpty() && parts.validation().size() < 5
                                && config.run().select() == RunConfig.Selection.BEST_VAL) {
                            err.println("warning: validation holds only " + parts.validation().size() + " slice(s), so"
                                    + " decoder-best is chosen on little evidence; raise --val-fraction, or take the"
                                    + " last decoder with --select last");
                        }
                        encoding[0] = new Counter(err, "encoding slices (once per encoder)", parts.train().size());
                    }

                    @Override
                    public void onEncoding(int done, int total) {
                        encoding[0].accept(done);
                        if (done == total) {
                            encoding[0].finish();
                        }
                    }
                });
        io.samtune.train.TrainingStrategy workerStrategy = workers.strategy(spec, federation != null, err);
        if (workerStrategy != null) {
            job.setStrategy(workerStrategy);
        }
        if (federation != null) {
            io.samtune.distributed.federated.FederationConfig site;
            try {
                site = io.samtune.distributed.federated.FederationConfig.read(federation);
            } catch (IOException e) {
                throw Commands.badOption(spec, "--federation " + e.getMessage());
            }
            char[] password = CertsCommand.password(spec);
            job.setStrategy(new io.samtune.distributed.federated.Federation(site, password, line -> {
                o.println("federation: " + line);
                o.flush();
            }));
            java.util.Arrays.fill(password, '\0');
        }
        // SIGTERM (a scheduler's preemption) or Ctrl-C: finish the step, checkpoint it, say how to go on
        String[] signal = new String[1];
        java.util.Map<sun.misc.Signal, sun.misc.SignalHandler> previous = new java.util.LinkedHashMap<>();
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal sig = new sun.misc.Signal(name);
                previous.put(sig, sun.misc.Signal.handle(sig, s -> {
                    signal[0] = s.getName();
                    job.requestStop();
                }));
            } catch (IllegalArgumentException e) {
                // the signal is not available here (e.g. INT under some launchers): its default stays
            }
        }
        try {
            TrainingResult result = job.run(new RunDirectory(out), resume);
            o.println(result);
            o.println("results in " + out.toAbsolutePath() + ":");
            o.println("  " + RunDirectory.DECODER_BEST + "  (" + config.run().select().label() + ")   "
                    + RunDirectory.DECODER_LAST + "  (latest)");
            if (federation != null) {
                o.println("  " + io.samtune.distributed.federated.Federation.DECODER_BEST_MERGED
                        + "  (the merged decoder with the best validation Dice over the sites; the same on every site)");
            }
            o.println("  " + RunDirectory.METRICS + ", " + RunDirectory.CURVES + ", " + RunDirectory.RUN);
            o.println("score it: samtune test-accuracy --decoder " + out + " ...");
            return 0;
        } catch (DatasetException | MatFileException | CheckpointException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (TrainingInterruptedException e) {
            err.println();
            err.println("stopped at step " + e.step() + "; continue with the same command and --resume");
            return "INT".equals(signal[0]) ? 130 : 143;
        } catch (TrainingDivergedException e) {
            err.println();
            err.println("error: " + e.getMessage());
            return 1;
        } catch (io.samtune.train.WorkerLostException e) {
            err.println();
            err.println("error: " + e.getMessage() + " (rank 0's last checkpoint is in " + out + "; restart every worker"
                    + " with the same command and --resume)");
            return 1;
        } catch (io.samtune.distributed.federated.FederationException e) {
            err.println();
            err.println("error: " + e.getMessage() + " (finished work is kept: the last checkpoint in " + out
                    + "; continue with --resume)");
            return 1;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } finally {
            previous.forEach(sun.misc.Signal::handle);
        }
    }
}
