package io.samtune.distributed.dataparallel;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterException;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.cluster.Launch;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prompt;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.io.JavaProcess;
import io.samtune.data.BinaryMask;
import io.samtune.data.BoxPrompt;
import io.samtune.train.AllReduceGradients;
import io.samtune.train.DecoderTrainer;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.ScheduleConfig;
import io.samtune.train.TrainingConfig;
import io.samtune.train.TrainingData;
import io.samtune.train.TrainingExample;
import io.samtune.train.TrainingListener;
import io.samtune.train.TrainingView;
import io.samtune.train.WorkerLostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The time of a data-parallel training step: {@code world} worker processes on 127.0.0.1 (one
 * libtorch thread each), a random model of the given sizes, a global batch of cached-embedding
 * samples shared out over the workers, gradients summed every step. Reports the median step time
 * and the median time of the sum (waiting for the slowest worker included) after two warm-up steps.
 */
public final class ParallelStepBenchmark {

    /** Median seconds per step and per all-reduce (0 for one worker). */
    public record Figures(double stepSeconds, double allReduceSeconds) {
    }

    private ParallelStepBenchmark() {
    }

    /**
     * Measures with {@code world} workers: this process is rank 0, the others are started as child
     * processes of this class's {@link #main} and stopped at the end.
     */
    public static Figures measure(SamConfig sizes, int world, int batch, int steps) throws Exception {
        Path dir = Files.createTempDirectory("samtune-parallel-benchmark");
        Path config = dir.resolve("sizes.json");
        Files.writeString(config, sizes.toJson().toString());
        List<Process> others = new ArrayList<>();
        try {
            for (int r = 1; r < world; r++) {
                List<String> cmd = JavaProcess.command(ParallelStepBenchmark.class, config.toString(),
                        Integer.toString(world), Integer.toString(r), dir.resolve("rv").toString(),
                        Integer.toString(batch), Integer.toString(steps));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("worker-" + r + ".log").toFile());
                pb.environment().put("OMP_NUM_THREADS", "1");
                others.add(pb.start());
            }
            return run(sizes, world, 0, dir.resolve("rv"), batch, steps);
        } finally {
            for (Process p : others) {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A worker: {@code SIZES.json WORLD RANK RENDEZVOUS BATCH STEPS}. */
    public static void main(String[] args) throws Exception {
        SamConfig sizes = SamConfig.fromJson(Path.of(args[0]));
        run(sizes, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]));
    }

    private static Figures run(SamConfig sizes, int world, int rank, Path rendezvous, int batch, int steps)
            throws Exception {
        io.samtune.core.Engines.pytorch(); // the native library first
        JniUtils.setNumThreads(1);
        int total = steps + 2;
        TrainingConfig config = TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(1e-5).optBatchSize(batch).build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(total).build()).build();
        JGroupsCluster cluster = null;
        List<Double> sums = new ArrayList<>();
        try (SamModel model = SamModel.random(sizes, 1, Device.cpu());
             DecoderTrainer trainer = new DecoderTrainer(model, config)) {
            if (world > 1) {
                cluster = JGroupsCluster.join(ClusterConfig.builder().setGroup("samtune-benchmark")
                        .setMember(new Launch(rank, world, rank, "benchmark").memberName()).setRendezvous(rendezvous)
                        .build());
                cluster.awaitMembers(world, Duration.ofSeconds(120));
                JGroupsCluster group = cluster;
                AllReduceGradients sum = new AllReduceGradients((round, values) -> {
                    long t0 = System.nanoTime();
                    try {
                        return group.allReduce().sum(round, values, Duration.ofSeconds(120));
                    } catch (ClusterException e) {
                        throw new WorkerLostException(e.getMessage(), e);
                    } finally {
                        sums.add((System.nanoTime() - t0) / 1e9);
                    }
                }, rank, world);
                trainer.setStrategy(sum);
            }
            List<Double> times = new ArrayList<>();
            long[] last = {System.nanoTime()};
            trainer.addListener(new TrainingListener() {
                @Override
                public void onStep(TrainingView view) {
                    long now = System.nanoTime();
                    times.add((now - last[0]) / 1e9);
                    last[0] = now;
                }
            });
            trainer.fit(data(sizes, batch), null, null, false);
            return new Figures(median(times.subList(2, times.size())),
                    sums.isEmpty() ? 0 : median(sums.subList(2, sums.size())));
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** The side of the benchmarks' slices: a decoder step scores its mask at 512x512. */
    public static final int SIDE = 512;

    /** The benchmarks' target: a 110 x 100 rectangle in a {@value #SIDE}-pixel slice. */
    public static BinaryMask mask() {
        boolean[] px = new boolean[SIDE * SIDE];
        for (int y = 200; y < 300; y++) {
            for (int x = 220; x < 330; x++) {
                px[y * SIDE + x] = true;
            }
        }
        return new BinaryMask(SIDE, SIDE, px);
    }

    /** The benchmarks' prompt: the box around {@link #mask()}. */
    public static Prompt box() {
        return Prompt.of(new BoxPrompt(220, 200, 329, 299));
    }

    /** {@code n} samples of a random embedding with a 512x512 mask and a box, the same in every worker. */
    private static TrainingData data(SamConfig sizes, int n) {
        int side = SIDE;
        BinaryMask mask = mask();
        Prompt box = box();
        int e = sizes.embeddingSize();
        return new TrainingData() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public String name(int index) {
                return "benchmark-" + index;
            }

            @Override
            public TrainingExample load(int index, NDManager manager, Random rng) {
                Random r = new Random(index);
                float[] v = new float[sizes.promptEmbedDim() * e * e];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) r.nextGaussian();
                }
                ImageEmbedding emb = new ImageEmbedding(manager.create(v, new Shape(1, sizes.promptEmbedDim(), e, e)),
                        sizes.imageSize(), sizes.imageSize(), side, side);
                return new TrainingExample(name(index), emb, mask, box);
            }
        };
    }

    private static double median(List<Double> values) {
        double[] t = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(t);
        return t.length == 0 ? Double.NaN : t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }
}
