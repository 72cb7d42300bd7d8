package io.samtune.cli.command;

import io.samtune.cli.option.ModelOptions;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune benchmark}: the figures that decide how fast fine-tuning runs, measured on random
 * weights of a named geometry (no checkpoint needed): one encoder pass, one decoder training step
 * from a cached embedding, the same step with the encoder recomputed, and reading one slice file.
 * Each figure is the median of {@code --repeat} runs after a warm-up.
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
        Path slices = data != null ? data : io.samtune.cli.option.Demo.data();
        List<Path> files;
        try {
            files = SliceIndex.listSliceFiles(slices);
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        if (!json) {
            err.printf(Locale.ROOT, "benchmarking %s on %s (%d timed run%s per figure after a warm-up)...%n", model, dev,
                    repeat, repeat == 1 ? "" : "s");
        }
        // before any libtorch work: its idle worker threads spin for a while and would slow the reader
        double matMs = matLoad(files) * 1000;
        double encoder;
        double cachedStep;
        double uncachedStep;
        int decoderValues;
        try (SamModel sam = SamModel.random(config, 1, dev);
             NDManager m = sam.manager().newSubManager();
             DecoderTrainer trainer = new DecoderTrainer(sam, TrainingConfig.builder()
                     .optOptimization(OptimizationConfig.builder().optLearningRate(1e-5).build()).build())) {
            NDArray image = m.randomNormal(new Shape(1, 3, config.imageSize(), config.imageSize()));
            encoder = median(() -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray x = image.duplicate();
                    x.attach(s);
                    sam.imageEncoder().forward(x).toFloatArray();
                }
            });
            decoderValues = Math.toIntExact(io.samtune.train.TrainableParameters.decoder(sam).parameterCount());
            int side = io.samtune.distributed.dataparallel.ParallelStepBenchmark.SIDE;
            BinaryMask mask = io.samtune.distributed.dataparallel.ParallelStepBenchmark.mask();
            Prompt box = io.samtune.distributed.dataparallel.ParallelStepBenchmark.box();
            int e = config.embeddingSize();
            NDArray cached = m.randomNormal(new Shape(1, config.promptEmbedDim(), e, e));
            cachedStep = median(() -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray emb = cached.duplicate();
                    emb.attach(s);
                    trainer.trainStep(List.of(new TrainingExample("bench",
                            new ImageEmbedding(emb, config.imageSize(), config.imageSize(), side, side), mask, box)));
                }
            });
            uncachedStep = median(() -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray x = image.duplicate();
                    x.attach(s);
                    NDArray emb = sam.imageEncoder().forward(x);
                    trainer.trainStep(List.of(new TrainingExample("bench",
                            new ImageEmbedding(emb, config.imageSize(), config.imageSize(), side, side), mask, box)));
                }
            });
        }
        double roundS = io.samtune.distributed.federated.RoundBenchmark.roundSeconds(3, decoderValues, Math.max(3, repeat));
        int threadsUsed = threads != null ? threads : JniUtils.getNumThreads();
        // last: the workers run one libtorch thread each, this process included
        int dpBatch = 4;
        var oneWorker = io.samtune.distributed.dataparallel.ParallelStepBenchmark.measure(config, 1, dpBatch, Math.max(3, repeat));
        var twoWorkers = io.samtune.distributed.dataparallel.ParallelStepBenchmark.measure(config, 2, dpBatch, Math.max(3, repeat));
        // cache fill as `samtune cache --shard I/N` does it: shard processes of one thread each
        double fillOne = CacheFillBenchmark.slicesPerSecond(config, files, 1, 2);
        double fillTwo = CacheFillBenchmark.slicesPerSecond(config, files, 2, 2);
        JsonObject o = new JsonObject();
        o.addProperty("encoder_s", round(encoder));
        o.addProperty("decoder_train_step_s", round(cachedStep));
        o.addProperty("uncached_step_s", round(uncachedStep));
        o.addProperty("mat_load_ms_per_file", round(matMs));
        o.addProperty("federated_round_s", round(roundS));
        o.addProperty("decoder_mb", round(decoderValues * 4 / 1e6));
        o.addProperty("dp_step_1_worker_s", round(oneWorker.stepSeconds()));
        o.addProperty("dp_step_2_workers_s", round(twoWorkers.stepSeconds()));
        o.addProperty("dp_allreduce_2_workers_s", round(twoWorkers.allReduceSeconds()));
        o.addProperty("cache_fill_1_shard_slices_per_s", round(fillOne));
        o.addProperty("cache_fill_2_shards_slices_per_s", round(fillTwo));
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
            out.printf(Locale.ROOT, "%-44s %9.3f s%n", "image encoder, one " + config.imageSize() + "x" + config.imageSize()
                    + " image", encoder);
            out.printf(Locale.ROOT, "%-44s %9.3f s%n", "decoder training step, cached embedding", cachedStep);
            out.printf(Locale.ROOT, "%-44s %9.3f s%n", "training step with the encoder recomputed", uncachedStep);
            out.printf(Locale.ROOT, "%-44s %9.3f s%n", String.format(Locale.ROOT, "federated round, 3 sites, TLS, %.1f MB",
                    decoderValues * 4 / 1e6), roundS);
            out.printf(Locale.ROOT, "%-44s %9.3f s%n", "data-parallel step, batch " + dpBatch + ", 1 worker",
                    oneWorker.stepSeconds());
            out.printf(Locale.ROOT, "%-44s %9.3f s%n", "data-parallel step, batch " + dpBatch + ", 2 workers",
                    twoWorkers.stepSeconds());
            out.printf(Locale.ROOT, "%-44s %9.3f s%n", "  of which the all-reduce (2 workers)", twoWorkers.allReduceSeconds());
            out.printf(Locale.ROOT, "%-44s %6.3f /s%n", "cache fill, 1 shard of 1 thread (slices)", fillOne);
            out.printf(Locale.ROOT, "%-44s %6.3f /s%n", "cache fill, 2 shards of 1 thread (slices)", fillTwo);
            out.printf(Locale.ROOT, "%-44s %8.2f ms%n", "reading one slice .mat (" + files.size() + " files)", matMs);
            out.printf(Locale.ROOT, "DJL %s, libtorch %s%n", o.get("djl").getAsString(), o.get("libtorch").getAsString());
        }
        return 0;
    }

    private interface Run {
        void run() throws Exception;
    }

    private double median(Run r) throws Exception {
        r.run(); // warm-up
        double[] t = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return repeat % 2 == 1 ? t[repeat / 2] : (t[repeat / 2 - 1] + t[repeat / 2]) / 2;
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
