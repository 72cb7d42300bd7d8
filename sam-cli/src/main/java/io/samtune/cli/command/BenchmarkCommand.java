package io.samtune.cli.command;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.cli.option.ModelOptions;
import io.samtune.core.Engines;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prompt;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.data.BinaryMask;
import io.samtune.data.MatSliceReader;
import io.samtune.data.SliceIndex;
import io.samtune.train.DecoderTrainer;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.TrainingConfig;
import io.samtune.train.TrainingExample;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code samtune benchmark}: the figures that decide how fast fine-tuning runs, measured on random
 * weights of a named geometry (no checkpoint needed): one encoder pass, one decoder training step
 * from a cached embedding, the same step with the encoder recomputed, reading one slice file, a
 * federated round, data-parallel steps, cache filling and (with {@code --only collective}) the
 * cluster's all-reduce among 2 to 8 processes. Each figure is the median of {@code --repeat} runs
 * after a warm-up.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure encoder, decoder-step and .mat reading times on random weights.")
public final class BenchmarkCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "vit_b|vit_l|vit_h|FILE.json", description = "Model geometry (default: ${DEFAULT-VALUE}).")
    String model = "vit_b";

    @Option(names = "--threads", paramLabel = "N", description = "libtorch intra-op threads (default: libtorch's choice).")
    Integer threads;

    @Option(names = "--device", paramLabel = "D", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--data", paramLabel = "DIR", description = "Slices for the .mat figure (default: the bundled demo slices).")
    Path data;

    @Option(names = "--repeat", paramLabel = "N", description = "Timed runs per figure; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeat = 3;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--only", split = ",", paramLabel = "FIGURE", description = "Measure only these: encoder, mat,"
            + " federated, dp, cache, collective, adapters (default: all but collective and adapters). Naming federated adds federated_rounds:"
            + " rounds among one process per site, for each --members count.")
    List<String> only;

    @Option(names = "--members", split = ",", paramLabel = "N", description = "Member counts of the collective and"
            + " federated_rounds figures (default: 2,3,4,8).")
    List<Integer> members = List.of(2, 3, 4, 8);

    @Option(names = "--adapter-blocks", split = ",", paramLabel = "K", description = "Adapted block counts of the"
            + " adapters figure, one process each; 0 is the decoder alone (default: 0,1,2,3 and the encoder's depth).")
    List<Integer> adapterBlocks;

    /** Runs the command; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new BenchmarkCommand(), out, err, args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SamConfig config;
        Device dev;
        try {
            if (repeat < 1) {
                throw new IllegalArgumentException("--repeat must be >= 1");
            }
            if (only != null && !ALL_SECTIONS.containsAll(only)) {
                throw new IllegalArgumentException("--only takes " + String.join(", ", ALL_SECTIONS) + "; got "
                        + String.join(",", only));
            }
            if (members.stream().anyMatch(n -> n < 2 || n > 64)) {
                throw new IllegalArgumentException("--members takes counts from 2 to 64, got " + members);
            }
            if (threads != null && threads < 1) {
                throw new IllegalArgumentException("--threads must be >= 1");
            }
            config = model.endsWith(".json") ? SamConfig.fromJson(Path.of(model)) : SamConfig.named(model);
            if (threads != null) {
                System.setProperty("ai.djl.pytorch.num_threads", threads.toString());
            }
            dev = Engines.device(device);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        if (threads != null) {
            JniUtils.setNumThreads(threads); // in case the engine started before the property was set
        }
        List<String> sections = only != null ? only : DEFAULT_SECTIONS;
        Path slices = data != null ? data : io.samtune.cli.option.Demo.data();
        List<Path> files;
        try {
            files = SliceIndex.listSliceFiles(slices);
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        if (!json) {
            err.printf(Locale.ROOT, "benchmarking %s on %s (%d timed run%s per figure after a warm-up): %s...%n", model,
                    dev, repeat, repeat == 1 ? "" : "s", String.join(", ", sections));
        }
        JsonObject o = new JsonObject();
        List<String> table = new ArrayList<>();
        // before any libtorch work: its idle worker threads spin for a while and would slow the reader
        double matMs = sections.contains("mat") ? matLoad(files) * 1000 : 0;
        int decoderValues;
        try (SamModel sam = SamModel.random(config, 1, dev);
             NDManager m = sam.manager().newSubManager();
             DecoderTrainer trainer = new DecoderTrainer(sam, TrainingConfig.builder()
                     .optOptimization(OptimizationConfig.builder().optLearningRate(1e-5).build()).build())) {
            decoderValues = Math.toIntExact(io.samtune.train.TrainableParameters.decoder(sam).parameterCount());
            if (sections.contains("encoder")) {
                NDArray image = m.randomNormal(new Shape(1, 3, config.imageSize(), config.imageSize()));
                double encoder = median(() -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray x = image.duplicate();
                        x.attach(s);
                        sam.imageEncoder().forward(x).toFloatArray();
                    }
                });
                int side = io.samtune.distributed.dataparallel.ParallelStepBenchmark.SIDE;
                BinaryMask mask = io.samtune.distributed.dataparallel.ParallelStepBenchmark.mask();
                Prompt box = io.samtune.distributed.dataparallel.ParallelStepBenchmark.box();
                int e = config.embeddingSize();
                NDArray cached = m.randomNormal(new Shape(1, config.promptEmbedDim(), e, e));
                double cachedStep = median(() -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray emb = cached.duplicate();
                        emb.attach(s);
                        trainer.trainStep(List.of(new TrainingExample("bench",
                                new ImageEmbedding(emb, config.imageSize(), config.imageSize(), side, side), mask, box)));
                    }
                });
                double uncachedStep = median(() -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray x = image.duplicate();
                        x.attach(s);
                        NDArray emb = sam.imageEncoder().forward(x);
                        trainer.trainStep(List.of(new TrainingExample("bench",
                                new ImageEmbedding(emb, config.imageSize(), config.imageSize(), side, side), mask, box)));
                    }
                });
                o.addProperty("encoder_s", round(encoder));
                o.addProperty("decoder_train_step_s", round(cachedStep));
                o.addProperty("uncached_step_s", round(uncachedStep));
                table.add(line("image encoder, one " + config.imageSize() + "x" + config.imageSize() + " image", encoder));
                table.add(line("decoder training step, cached embedding", cachedStep));
                table.add(line("training step with the encoder recomputed", uncachedStep));
            }
        }
        if (sections.contains("mat")) {
            o.addProperty("mat_load_ms_per_file", round(matMs));
        }
        if (sections.contains("federated")) {
            double roundS = io.samtune.distributed.federated.RoundBenchmark.roundSeconds(3, decoderValues,
                    Math.max(3, repeat));
            o.addProperty("federated_round_s", round(roundS));
            table.add(line(String.format(Locale.ROOT, "federated round, 3 sites, TLS, %.1f MB", decoderValues * 4 / 1e6),
                    roundS));
            if (only != null && only.contains("federated")) {
                JsonArray rounds = new JsonArray();
                for (boolean sharded : new boolean[] {true, false}) {
                    for (int n : members) {
                        var f = io.samtune.distributed.federated.FederatedRoundsBenchmark.measure(n, sharded, decoderValues,
                                Math.max(3, repeat));
                        rounds.add(f.toJson());
                        double optimal = io.samtune.distributed.dataparallel.CollectiveBenchmark.optimalBytesPerMember(n,
                                decoderValues);
                        table.add(String.format(Locale.ROOT, "%-44s %9.3f s  %6.3f s CPU  %6.1f MB sent (%.2fx optimal)",
                                "federated round, " + n + " site processes, " + (sharded ? "sharded" : "at one site"),
                                f.seconds(), f.cpuSecondsPerSite(), f.bytesSentPerSite() / 1e6,
                                f.bytesSentPerSite() / optimal));
                    }
                }
                o.add("federated_rounds", rounds);
            }
        }
        o.addProperty("decoder_mb", round(decoderValues * 4 / 1e6));
        int threadsUsed = threads != null ? threads : JniUtils.getNumThreads();
        if (sections.contains("dp")) {
            // the workers run one libtorch thread each, this process included
            int dpBatch = 4;
            var oneWorker = io.samtune.distributed.dataparallel.ParallelStepBenchmark.measure(config, 1, dpBatch,
                    Math.max(3, repeat));
            var twoWorkers = io.samtune.distributed.dataparallel.ParallelStepBenchmark.measure(config, 2, dpBatch,
                    Math.max(3, repeat));
            o.addProperty("dp_step_1_worker_s", round(oneWorker.stepSeconds()));
            o.addProperty("dp_step_2_workers_s", round(twoWorkers.stepSeconds()));
            o.addProperty("dp_allreduce_2_workers_s", round(twoWorkers.allReduceSeconds()));
            table.add(line("data-parallel step, batch " + dpBatch + ", 1 worker", oneWorker.stepSeconds()));
            table.add(line("data-parallel step, batch " + dpBatch + ", 2 workers", twoWorkers.stepSeconds()));
            table.add(line("  of which the all-reduce (2 workers)", twoWorkers.allReduceSeconds()));
        }
        if (sections.contains("cache")) {
            // cache fill as `samtune cache --shard I/N` does it: shard processes of one thread each
            double fillOne = CacheFillBenchmark.slicesPerSecond(config, files, 1, 2);
            double fillTwo = CacheFillBenchmark.slicesPerSecond(config, files, 2, 2);
            o.addProperty("cache_fill_1_shard_slices_per_s", round(fillOne));
            o.addProperty("cache_fill_2_shards_slices_per_s", round(fillTwo));
            table.add(String.format(Locale.ROOT, "%-44s %6.3f /s", "cache fill, 1 shard of 1 thread (slices)", fillOne));
            table.add(String.format(Locale.ROOT, "%-44s %6.3f /s", "cache fill, 2 shards of 1 thread (slices)", fillTwo));
        }
        if (sections.contains("mat")) {
            table.add(String.format(Locale.ROOT, "%-44s %8.2f ms", "reading one slice .mat (" + files.size() + " files)",
                    matMs));
        }
        if (sections.contains("adapters")) {
            List<Integer> ks = adapterBlocks != null ? adapterBlocks
                    : List.of(0, 1, 2, 3, config.encoderDepth()).stream().filter(k -> k <= config.encoderDepth())
                            .distinct().toList();
            if (ks.stream().anyMatch(k -> k < 0 || k > config.encoderDepth())) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--adapter-blocks takes counts from 0 to the"
                        + " encoder's " + config.encoderDepth() + " blocks, got " + ks);
            }
            JsonArray figures = new JsonArray();
            for (int k : ks) {
                var f = AdapterStepBenchmark.measure(config, k, repeat, threadsUsed());
                figures.add(f.toJson());
                table.add(AdapterStepBenchmark.line(f));
            }
            o.add("adapters", figures);
        }
        if (sections.contains("collective")) {
            JsonArray figures = new JsonArray();
            for (boolean tls : new boolean[] {false, true}) {
                for (int n : members) {
                    var f = io.samtune.distributed.dataparallel.CollectiveBenchmark.measure(n, tls, decoderValues,
                            Math.max(3, repeat));
                    figures.add(f.toJson());
                    double optimal = io.samtune.distributed.dataparallel.CollectiveBenchmark.optimalBytesPerMember(n,
                            decoderValues);
                    table.add(String.format(Locale.ROOT, "%-44s %9.3f s  %6.3f s CPU  %6.1f MB sent (%.2fx optimal)",
                            "all-reduce, " + n + " members, " + (tls ? "TLS" : "plain TCP"), f.seconds(),
                            f.cpuSecondsPerMember(), f.bytesSentPerMember() / 1e6, f.bytesSentPerMember() / optimal));
                }
            }
            o.add("collective", figures);
        }
        o.addProperty("threads", threadsUsed);
        o.addProperty("device", dev.toString().replace("()", "").replace("(", ":").replace(")", ""));
        o.addProperty("model", model);
        o.addProperty("djl", Engine.getDjlVersion());
        o.addProperty("libtorch", Engines.pytorch().getVersion());
        if (json) {
            out.println(o);
        } else {
            out.printf(Locale.ROOT, "%-44s %10s%n", "figure (" + model + ", " + o.get("device").getAsString() + ", "
                    + o.get("threads").getAsInt() + " threads)", "median");
            table.forEach(out::println);
            out.printf(Locale.ROOT, "DJL %s, libtorch %s%n", o.get("djl").getAsString(), o.get("libtorch").getAsString());
        }
        return 0;
    }

    private int threadsUsed() {
        return threads != null ? threads : JniUtils.getNumThreads();
    }

    private static String line(String what, double seconds) {
        return String.format(Locale.ROOT, "%-44s %9.3f s", what, seconds);
    }

    /** The figures run unless {@code --only} names others (the all-reduce figures start up to 8 processes per size). */
    static final List<String> DEFAULT_SECTIONS = List.of("encoder", "mat", "federated", "dp", "cache");
    static final List<String> ALL_SECTIONS = List.of("encoder", "mat", "federated", "dp", "cache", "collective",
            "adapters");

    private double median(AdapterStepBenchmark.Run r) throws Exception {
        return AdapterStepBenchmark.median(repeat, r);
    }

    /** Seconds per file to read every slice (image and mask decoded), median of the repeats. */
    private double matLoad(List<Path> files) throws Exception {
        List<Path> readable = new ArrayList<>();
        for (Path f : files) {
            if (Files.isReadable(f)) {
                readable.add(f);
            }
        }
        // the JIT needs more than one pass over a handful of files to settle
        for (int w = 0; w < 20; w++) {
            for (Path f : readable) {
                MatSliceReader.read(f);
            }
        }
        return median(() -> {
            for (Path f : readable) {
                MatSliceReader.read(f);
            }
        }) / readable.size();
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
