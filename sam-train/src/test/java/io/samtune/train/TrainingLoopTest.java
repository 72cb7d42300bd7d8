package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.config.DataConfig;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.BoxPrompt;
import io.samtune.data.DataSplit;
import io.samtune.data.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop's hooks and parameter group: proven by equivalence with a plain run. */
class TrainingLoopTest {

    @TempDir
    Path tmp;

    static final int STEPS = 6;

    private static TrainingConfig config() {
        return TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(3e-3).optBatchSize(2).build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(STEPS).build())
                .optRun(RunConfig.builder().optSeed(5).build()).build();
    }

    private static Map<String, float[]> copy(Map<String, NDArray> arrays) {
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static Map<String, float[]> initialDecoder() throws Exception {
        try (SamModel model = TinySamTrainReferenceTest.tinyModel()) {
            return copy(model.decoderParameters());
        }
    }

    /** Trains the tiny model on the phantoms' train part with these hooks; returns the final decoder. */
    private Map<String, float[]> train(TrainingStrategy strategy) throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, config())) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).optBoxJitter(2).build());
            data.warmCache(model.manager(), null); // every run reads the same (float16) embeddings from disk
            trainer.setStrategy(strategy);
            TrainingResult r = trainer.fit(data, null, null, false);
            assertThat(r.steps()).isEqualTo(STEPS);
            return copy(model.decoderParameters());
        }
    }

    @Test
    void aSynchroniserThatReplacesTheWeightsLeavesTrainingExact() throws Exception {
        Map<String, float[]> plain = train(TrainingStrategy.SINGLE_DEVICE);
        List<Long> syncedAt = new ArrayList<>();
        Map<String, float[]> synced = train(new TrainingStrategy() {
            @Override
            public void afterUpdate(TrainableParameters parameters, TrainingView run) {
                if (run.step() % 2 != 0) {
                    return;
                }
                syncedAt.add(run.step());
                // new arrays with the same values, as an average over one site would give
                try (NDManager m = parameters.arrays().values().iterator().next().getManager().newSubManager()) {
                    Map<String, NDArray> same = new LinkedHashMap<>();
                    parameters.arrays().forEach((k, v) -> {
                        NDArray d = v.duplicate();
                        d.attach(m);
                        same.put(k, d);
                    });
                    parameters.assign(same);
                }
            }
        });
        assertThat(syncedAt).containsExactly(2L, 4L, 6L);
        assertThat(synced.keySet()).isEqualTo(plain.keySet());
        // new arrays may sit at another alignment, where libtorch's kernels round the last bits differently;
        // a lost gradient flag or reset moment would differ by the learning rate (3e-3), not by rounding
        plain.forEach((k, v) -> assertThat(maxDiff(synced.get(k), v)).as(k).isLessThanOrEqualTo(1e-5));
        assertThat(plain.values().iterator().next()).isNotEqualTo(initialDecoder().values().iterator().next());
    }

    @Test
    void theReducerRunsAfterBackwardAndBeforeTheUpdate() throws Exception {
        Map<String, float[]> initial = initialDecoder();
        int[] calls = {0};
        double[] gradientNorm = {0};
        // gradients zeroed by the reducer reach Adam as zeros: m = v = 0, so no weight moves
        Map<String, float[]> frozen = train(new TrainingStrategy() {
            @Override
            public Step reduce(TrainableParameters parameters, Step local, TrainingView run) {
                calls[0]++;
                for (NDArray g : parameters.gradients().values()) {
                    gradientNorm[0] += g.abs().sum().getFloat();
                }
                parameters.zeroGradients();
                return local;
            }
        });
        assertThat(calls[0]).isEqualTo(STEPS);
        assertThat(gradientNorm[0]).as("gradients are computed before the reducer").isPositive();
        initial.forEach((k, v) -> assertThat(frozen.get(k)).as(k).containsExactly(v));
    }

    @Test
    void aDecoderLoadedAfterTheTrainerExistsIsTrained() throws Exception {
        Path decoder = tmp.resolve("other.safetensors");
        try (SamModel other = TinySamTrainReferenceTest.tinyModel()) {
            other.weights().get("mask_decoder.mask_tokens.weight").addi(0.25f);
            other.saveDecoder(decoder, Map.of());
        }
        DataSplit split = DecoderTrainerTest.phantomSplit();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, config());
             NDManager m = model.manager().newSubManager()) {
            model.loadDecoder(decoder); // replaces the arrays the trainer flagged
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).build());
            List<TrainingExample> batch = List.of(data.load(0, m, new Random(1)), data.load(1, m, new Random(2)));
            float[] loaded = model.weights().get("mask_decoder.mask_tokens.weight").toFloatArray();
            double first = trainer.trainStep(batch);
            float[] after = model.weights().get("mask_decoder.mask_tokens.weight").toFloatArray();
            assertThat(after).as("the loaded decoder moved").isNotEqualTo(loaded);
            double second = trainer.trainStep(batch);
            assertThat(second).isLessThan(first);
        }
    }

    @Test
    void boxJitterSetOnceReachesTheSampledBoxesAndTheResumeSettings() throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        DataConfig jittered = DataConfig.builder().setFolder(Fixtures.phantoms()).optBoxJitter(5).build();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); NDManager m = model.manager().newSubManager()) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache, jittered);
            BoxPrompt exact = split.train().get(0).load().box();
            int moved = 0;
            for (int seed = 0; seed < 10; seed++) {
                BoxPrompt b = data.load(0, m, new Random(seed)).prompt().box();
                assertThat(Math.abs(b.x0() - exact.x0())).isLessThanOrEqualTo(5);
                assertThat(Math.abs(b.y1() - exact.y1())).isLessThanOrEqualTo(5);
                if (!b.equals(exact)) {
                    moved++;
                }
            }
            assertThat(moved).as("jittered boxes among 10 draws").isGreaterThan(5);
            SliceTrainingData plain = new SliceTrainingData(split.train(), cache, jittered.toBuilder().optBoxJitter(0).build());
            assertThat(plain.load(0, m, new Random(3)).prompt().box()).isEqualTo(exact);
        }
        assertThat(config().toBuilder().optData(jittered).build().resumeSettings().get("boxJitter").getAsInt()).isEqualTo(5);
    }

    @Test
    void earlyStoppingEndsARunWhoseValidationStopsImproving() throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        TrainingConfig config = config().toBuilder().optSchedule(ScheduleConfig.builder().optEpochs(10).build())
                .optRun(RunConfig.builder().optSeed(5).optPatience(2).build()).build();
        double[] dice = {0.3, 0.5, 0.45, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99};
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, config)) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).build());
            int[] epoch = {0};
            trainer.addListener(TrainingListener.onStep(run -> epoch[0] = run.epoch()));
            TrainingResult r = trainer.fit(data, () -> dice[epoch[0]], null, false);
            long perEpoch = TrainingPlan.of(data.size(), config.optimization(), config.schedule()).stepsPerEpoch();
            // best at epoch 2; epochs 3 and 4 do not improve: stop after epoch 4 of 10
            assertThat(r.epochs()).isEqualTo(4);
            assertThat(r.steps()).isEqualTo(4 * perEpoch);
            assertThat(r.bestEpoch()).isEqualTo(1);
            assertThat(r.toString()).contains("(epoch 2)");
        }
    }

    @Test
    void twoCpuReplicasEqualOneDeviceWithTheSameBatch() throws Exception {
        Map<String, float[]> one = train(TrainingStrategy.SINGLE_DEVICE);
        DataSplit split = DecoderTrainerTest.phantomSplit();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); SamModel replica = TinySamTrainReferenceTest.tinyModel();
             DecoderTrainer trainer = new DecoderTrainer(model, config())) {
            replica.weights().get("mask_decoder.iou_token.weight").addi(1f); // overwritten by the trainer's weights
            trainer.addReplica(replica);
            assertThat(trainer.deviceCount()).isEqualTo(2);
            assertThat(trainer.strategy()).isInstanceOf(DeviceReplicas.class);
            assertThat(trainer.strategy().isGlobalZero()).as("one device's answers, passed on").isTrue();
            assertThat(trainer.strategy().worldSize()).isEqualTo(1);
            assertThat(trainer.strategy().finish(trainer.parameters(), null)).isFalse();
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).optBoxJitter(2).build());
            data.warmCache(model.manager(), null);
            TrainingResult r = trainer.fit(data, null, null, false);
            assertThat(r.steps()).isEqualTo(STEPS);
            Map<String, float[]> two = copy(model.decoderParameters());
            // the same global batch of 2 split 1 + 1: the same gradients up to the order of sums
            one.forEach((k, v) -> assertThat(maxDiff(two.get(k), v)).as(k).isLessThanOrEqualTo(1e-5));
            Map<String, float[]> copied = copy(replica.decoderParameters());
            two.forEach((k, v) -> assertThat(copied.get(k)).as("replica's " + k).containsExactly(v));
        }
    }

    /**
     * Replicas around a strategy across processes: its hooks run as they would without replicas,
     * and weights it replaces (a round) reach the replica before the next step.
     */
    @Test
    void replicasWrapTheStrategyAcrossProcessesAndFollowTheWeightsItReplaces() throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        List<String> calls = new ArrayList<>();
        String probe = "mask_decoder.iou_token.weight";
        TrainingStrategy across = new TrainingStrategy() {
            @Override
            public void start(TrainableParameters parameters, TrainingView run) {
                calls.add("start");
            }

            @Override
            public Step reduce(TrainableParameters parameters, Step local, TrainingView run) {
                calls.add("reduce " + local.samples());
                return local;
            }

            @Override
            public void afterUpdate(TrainableParameters parameters, TrainingView run) {
                calls.add("afterUpdate " + run.step());
                float[] w = parameters.flatten();
                java.util.Arrays.fill(w, 0.01f * run.step()); // a round's result: every weight replaced
                parameters.overwrite(w);
            }

            @Override
            public boolean finish(TrainableParameters parameters, TrainingView run) {
                calls.add("finish");
                return false;
            }

            @Override
            public void close() {
                calls.add("close");
            }
        };
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); SamModel replica = TinySamTrainReferenceTest.tinyModel();
             DecoderTrainer trainer = new DecoderTrainer(model, config())) {
            DeviceReplicas strategy = new DeviceReplicas(across, model, trainer.parameters()).add(replica);
            assertThat(strategy.across()).isSameAs(across);
            trainer.setStrategy(strategy);
            assertThat(trainer.deviceCount()).isEqualTo(2);
            float[][] seenByReplica = new float[1][];
            trainer.addListener(TrainingListener.onStep(run ->
                    seenByReplica[0] = replica.decoderParameters().get(probe).toFloatArray()));
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).build());
            TrainingResult r = trainer.fit(data, null, null, false);
            assertThat(r.steps()).isEqualTo(STEPS);
            assertThat(seenByReplica[0]).as("the replica holds the round's weights after the last step")
                    .containsOnly(0.01f * STEPS);
            strategy.close();
        }
        List<String> expected = new ArrayList<>(List.of("start"));
        for (long step = 1; step <= STEPS; step++) {
            expected.add("reduce 2");
            expected.add("afterUpdate " + step);
        }
        expected.add("finish");
        expected.add("close");
        assertThat(calls).isEqualTo(expected);
    }

    /** A strategy across processes whose every hook says what it is and does something visible. */
    private static final class Across implements TrainingStrategy {
        final List<String> calls = new ArrayList<>();

        @Override
        public boolean isGlobalZero() {
            return false;
        }

        @Override
        public int rank() {
            return 1;
        }

        @Override
        public int worldSize() {
            return 3;
        }

        @Override
        public List<Integer> shareOf(List<Integer> call) {
            return call; // every worker computes the whole call here
        }

        @Override
        public void setUp(Context run) {
            calls.add("setUp");
        }

        @Override
        public void start(TrainableParameters parameters, TrainingView run) {
            scale(parameters, 0.9f); // the others' weights, taken over
        }

        @Override
        public boolean finish(TrainableParameters parameters, TrainingView run) {
            scale(parameters, -1f); // a final round's result
            return true;
        }

        private static void scale(TrainableParameters parameters, float factor) {
            float[] w = parameters.flatten();
            for (int i = 0; i < w.length; i++) {
                w[i] *= factor;
            }
            parameters.overwrite(w);
        }

        @Override
        public void weightsChanged(TrainableParameters parameters) {
            calls.add("weightsChanged");
        }

        @Override
        public void describe(com.google.gson.JsonObject runInfo) {
            runInfo.addProperty("across", true);
        }

        @Override
        public String toString() {
            return "Across";
        }
    }

    /**
     * Replicas around another strategy give what that strategy gives on one device (batches of 3
     * split 2 + 1, two calls accumulated), pass every question and hook on, and leave the replica
     * with the weights the strategy set at the start and at the end.
     */
    @Test
    void replicasAroundAStrategyEqualItOnOneDeviceAndPassItsHooksOn() throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        TrainingConfig config = TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(3e-3).optBatchSize(3).optGradAccumulation(2)
                        .build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(2).build())
                .optRun(RunConfig.builder().optSeed(5).build()).build();
        double[] losses = new double[2];
        List<Map<String, float[]>> ends = new ArrayList<>();
        List<List<float[]>> steps = new ArrayList<>();
        for (int devices = 1; devices <= 2; devices++) {
            try (SamModel model = TinySamTrainReferenceTest.tinyModel(); SamModel replica = TinySamTrainReferenceTest.tinyModel();
                 DecoderTrainer trainer = new DecoderTrainer(model, config)) {
                Across across = new Across();
                TrainingStrategy strategy = across;
                if (devices == 2) {
                    replica.weights().get("mask_decoder.iou_token.weight").addi(1f);
                    DeviceReplicas replicas = new DeviceReplicas(across, model, trainer.parameters()).add(replica);
                    assertThat(replica.decoderParameters().get("mask_decoder.iou_token.weight").toFloatArray())
                            .as("the trained weights copied when a replica is added")
                            .containsExactly(model.decoderParameters().get("mask_decoder.iou_token.weight").toFloatArray());
                    assertThat(replicas.isGlobalZero()).isFalse();
                    assertThat(replicas.rank()).isEqualTo(1);
                    assertThat(replicas.worldSize()).isEqualTo(3);
                    assertThat(replicas.shareOf(List.of(4, 5, 6))).containsExactly(4, 5, 6);
                    com.google.gson.JsonObject info = new com.google.gson.JsonObject();
                    replicas.describe(info);
                    assertThat(info.get("across").getAsBoolean()).isTrue();
                    replicas.setUp(null);
                    assertThat(across.calls).containsExactly("setUp");
                    assertThat(replicas.toString()).isEqualTo("DeviceReplicas[2 devices, Across]");
                    strategy = replicas;
                }
                trainer.setStrategy(strategy);
                List<float[]> afterEachStep = new ArrayList<>();
                steps.add(afterEachStep);
                trainer.addListener(TrainingListener.onStep(run -> afterEachStep.add(trainer.parameters().flatten())));
                EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
                SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                        DataConfig.builder().setFolder(Fixtures.phantoms()).build());
                data.warmCache(model.manager(), null);
                trainer.trainStep(List.of(data.load(0, model.manager(), new Random(1))));
                assertThat(across.calls).as("a custom loop's update is passed on").contains("weightsChanged");
                if (devices == 2) {
                    assertThat(replica.decoderParameters().get("mask_decoder.iou_token.weight").toFloatArray())
                            .as("a custom loop's update reaches the replica")
                            .containsExactly(model.decoderParameters().get("mask_decoder.iou_token.weight").toFloatArray());
                }
                TrainingResult r = trainer.fit(data, null, null, false);
                losses[devices - 1] = r.lastLoss();
                ends.add(copy(model.decoderParameters()));
                if (devices == 2) {
                    assertThat(replica.decoderParameters().get("mask_decoder.iou_token.weight").toFloatArray())
                            .as("the replica holds the final round's weights")
                            .containsExactly(model.decoderParameters().get("mask_decoder.iou_token.weight").toFloatArray());
                    assertThat(strategy.finish(trainer.parameters(), null)).as("the wrapped strategy's answer").isTrue();
                    strategy.close();
                }
            }
        }
        assertThat(losses[1]).as("the last step's loss").isCloseTo(losses[0], org.assertj.core.data.Offset.offset(1e-5));
        for (int step = 0; step < steps.get(0).size(); step++) {
            assertThat(maxDiff(steps.get(1).get(step), steps.get(0).get(step))).as("weights after step %d", step + 1)
                    .isLessThanOrEqualTo(1e-5);
        }
        assertThat(steps.get(1)).hasSameSizeAs(steps.get(0)).hasSize(2);
        ends.get(0).forEach((k, v) -> assertThat(maxDiff(ends.get(1).get(k), v)).as(k).isLessThanOrEqualTo(1e-5));
    }
}
