package io.samtune.cli.command;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prompt;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.io.JavaProcess;
import io.samtune.core.model.LoraConfig;
import io.samtune.data.BinaryMask;
import io.samtune.train.DecoderTrainer;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.TrainingConfig;
import io.samtune.train.TrainingExample;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What training with adapters on the last K encoder blocks costs, from the block cache: seconds per
 * training sample (the adapted blocks, the neck and the decoder, forward and backward, and the
 * update), the process's peak resident memory, the cache's size per slice (float16), and the time to
 * fill it (the frozen blocks on one image). Each K runs in a process of its own, so each peak is its
 * own; K = 0 is the decoder alone (the cache then holds the image embedding).
 */
public final class AdapterStepBenchmark {

    private AdapterStepBenchmark() {
    }

    /** One configuration's figures. */
    public record Figure(int blocks, double secondsPerSample, double fillSeconds, long cacheBytesPerSlice,
                         long peakResidentBytes, long trainedValues) {

        /** As JSON. */
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("adaptedBlocks", blocks);
            o.addProperty("secondsPerSample", Math.round(secondsPerSample * 1e4) / 1e4);
            o.addProperty("fillSecondsPerSlice", Math.round(fillSeconds * 1e4) / 1e4);
            o.addProperty("cacheBytesPerSlice", cacheBytesPerSlice);
            o.addProperty("peakResidentBytes", peakResidentBytes);
            o.addProperty("trainedValues", trainedValues);
            return o;
        }
    }

    /**
     * Measures one K in a process of its own.
     *
     * @param config the model geometry (random weights)
     * @param blocks adapted blocks (the last K; 0 for the decoder alone)
     * @param repeat timed steps after a warm-up; the median is reported
     */
    public static Figure measure(SamConfig config, int blocks, int repeat, int threads) throws IOException,
            InterruptedException {
        Path sizes = Files.createTempFile("samtune-bench-model", ".json");
        try {
            Files.writeString(sizes, config.toJson().toString());
            List<String> cmd = JavaProcess.command(java.util.Map.of("ai.djl.pytorch.num_threads",
                    Integer.toString(threads)), AdapterStepBenchmark.class, sizes.toString(), Integer.toString(blocks),
                    Integer.toString(repeat));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException("the adapter benchmark of " + blocks + " blocks failed (exit " + p.exitValue()
                        + "): " + out.trim());
            }
            String last = out.trim().substring(out.trim().lastIndexOf('\n') + 1);
            JsonObject o = JsonParser.parseString(last).getAsJsonObject();
            return new Figure(blocks, o.get("secondsPerSample").getAsDouble(), o.get("fillSecondsPerSlice").getAsDouble(),
                    o.get("cacheBytesPerSlice").getAsLong(), o.get("peakResidentBytes").getAsLong(),
                    o.get("trainedValues").getAsLong());
        } finally {
            Files.deleteIfExists(sizes);
        }
    }

    /** {@code AdapterStepBenchmark SIZES.json K REPEAT}: prints one JSON line of the figures. */
    public static void main(String[] args) throws Exception {
        SamConfig config = SamConfig.fromJson(Path.of(args[0]));
        int k = Integer.parseInt(args[1]);
        int repeat = Integer.parseInt(args[2]);
        try (SamModel sam = SamModel.random(config, 1, Device.cpu());
             NDManager m = sam.manager().newSubManager()) {
            if (k > 0) {
                sam.addAdapters(LoraConfig.lastBlocks(k), 1);
            }
            int first = sam.firstAdaptedBlock();
            NDArray image = m.randomNormal(new Shape(1, 3, config.imageSize(), config.imageSize()));
            double fill = median(repeat, () -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray x = image.duplicate();
                    x.attach(s);
                    NDArray out = first == config.encoderDepth() ? sam.imageEncoder().forward(x)
                            : sam.imageEncoder().blockInput(x, first);
                    out.toFloatArray();
                }
            });
            NDArray stored;
            try (NDManager s = m.newSubManager()) {
                NDArray x = image.duplicate();
                x.attach(s);
                stored = first == config.encoderDepth() ? sam.imageEncoder().forward(x)
                        : sam.imageEncoder().blockInput(x, first);
                stored.attach(m);
            }
            long cacheBytes = stored.size() * 2; // float16 entries
            int side = 256;
            boolean[] px = new boolean[side * side];
            for (int y = 80; y < 160; y++) {
                for (int x = 90; x < 170; x++) {
                    px[y * side + x] = true;
                }
            }
            BinaryMask mask = new BinaryMask(side, side, px);
            Prompt box = Prompt.of(new io.samtune.data.BoxPrompt(90, 80, 169, 159));
            try (DecoderTrainer trainer = new DecoderTrainer(sam, TrainingConfig.builder().optOptimization(
                    OptimizationConfig.builder().optAlgorithm(OptimizationConfig.Algorithm.ADAMW).optLearningRate(1e-5)
                            .build()).build())) {
                double step = median(repeat, () -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray in = stored.duplicate();
                        in.attach(s);
                        trainer.trainStep(List.of(new TrainingExample("bench", new ImageEmbedding(in, config.imageSize(),
                                config.imageSize(), side, side), mask, box)));
                    }
                });
                JsonObject o = new Figure(k, step, fill, cacheBytes, peakResident(),
                        trainer.parameters().parameterCount()).toJson();
                System.out.println(o);
            }
        }
    }

    /** The process's peak resident set (VmHWM), or -1 where /proc does not tell it. */
    static long peakResident() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** A timed piece of work. */
    interface Run {
        void run() throws Exception;
    }

    /** The median wall time of {@code repeat} runs after one warm-up run. */
    static double median(int repeat, Run r) throws Exception {
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

    /** A table line of one figure. */
    static String line(Figure f) {
        return String.format(Locale.ROOT, "%-44s %9.3f s  %7.0f MB peak  %6.2f MB/slice  fill %6.2f s",
                f.blocks() == 0 ? "training sample, decoder only" : "training sample, LoRA on last " + f.blocks()
                        + " block" + (f.blocks() == 1 ? "" : "s"), f.secondsPerSample(), f.peakResidentBytes() / 1e6,
                f.cacheBytesPerSlice() / 1e6, f.fillSeconds());
    }
}
