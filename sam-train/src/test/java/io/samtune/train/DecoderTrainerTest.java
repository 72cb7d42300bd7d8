package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.config.DataConfig;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.DataSplit;
import io.samtune.data.Fixtures;
import io.samtune.data.SliceIndex;
import io.samtune.data.SplitSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderTrainerTest {

    @TempDir
    Path tmp;

    static DataSplit phantomSplit() throws Exception {
        return SplitSpec.builder().optValFraction(0.15).optTestFraction(0.15).optSeed(7).build()
                .split(SliceIndex.scan(Fixtures.phantoms()));
    }

    @Test
    void lossFallsOnThePhantomsAndTheRunFolderIsComplete() throws Exception {
        DataSplit split = phantomSplit();
        DataConfig dataConfig = DataConfig.builder().setFolder(Fixtures.phantoms()).optBoxJitter(2).build();
        TrainingConfig cfg = TrainingConfig.builder().optData(dataConfig)
                .optOptimization(OptimizationConfig.builder().optLearningRate(5e-3).optBatchSize(4).build())
                .optSchedule(ScheduleConfig.builder().optEpochs(12).build())
                .optRun(RunConfig.builder().optSeed(3).build()).build();
        RunDirectory run = new RunDirectory(tmp.resolve("run"));
        List<Double> epochLoss = new ArrayList<>();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, cfg)) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache, dataConfig);
            trainer.addListener(new TrainingListener() {
                @Override
                public void onEpochEnd(TrainingView run) {
                    epochLoss.add(run.epochMeanLoss());
                }
            });
            int[] validations = {0};
            TrainingResult r = trainer.fit(data, () -> {
                validations[0]++;
                return 0.25 + 0.01 * validations[0];
            }, run, false);
            assertThat(r.steps()).isEqualTo(12L * ((split.train().size() + 3) / 4));
            assertThat(validations[0]).isEqualTo(12);
            assertThat(r.bestEpoch()).isEqualTo(11);
            assertThat(cache.stats().misses()).isEqualTo(split.train().size());
        }
        double first = epochLoss.get(0);
        double last = (epochLoss.get(10) + epochLoss.get(11)) / 2;
        assertThat(last).as("mean loss of the last epochs vs the first: %s", epochLoss).isLessThan(first - 0.2);

        for (String f : List.of(RunDirectory.DECODER_BEST, RunDirectory.DECODER_LAST, RunDirectory.STATE,
                RunDirectory.METRICS, RunDirectory.CURVES)) {
            assertThat(run.file(f)).as(f).isRegularFile();
        }
        List<JsonObject> metrics = run.readMetrics();
        long stepLines = metrics.stream().filter(o -> o.has("loss")).count();
        assertThat(stepLines).isEqualTo(12L * ((split.train().size() + 3) / 4));
        assertThat(metrics.stream().filter(o -> o.has("valDice")).count()).isEqualTo(12);
        JsonObject step1 = metrics.get(0);
        assertThat(step1.keySet()).containsExactly("step", "epoch", "loss", "lr");
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             StateDict best = SamCheckpoint.load(run.file(RunDirectory.DECODER_BEST), m)) {
            assertThat(best.keys()).allMatch(k -> k.startsWith("mask_decoder."));
        }
        assertThat(javax.imageio.ImageIO.read(run.file(RunDirectory.CURVES).toFile()).getWidth()).isEqualTo(900);
    }

    @Test
    void nanLossStopsTrainingAndKeepsTheLastGoodCheckpoint() throws Exception {
        DataSplit split = phantomSplit();
        TrainingConfig cfg = TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(1e-3).optBatchSize(2).build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(20).build())
                .optRun(RunConfig.builder().optCheckpointEvery(1).build()).build();
        RunDirectory run = new RunDirectory(tmp.resolve("nan"));
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, cfg)) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData slices = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).build());
            int[] loads = {0};
            TrainingData poisoned = new TrainingData() {
                @Override
                public int size() {
                    return slices.size();
                }

                @Override
                public String name(int i) {
                    return slices.name(i);
                }

                @Override
                public TrainingExample load(int i, NDManager m, Random rng) throws IOException {
                    TrainingExample ex = slices.load(i, m, rng);
                    if (++loads[0] <= 6) {
                        return ex;
                    }
                    ImageEmbedding e = ex.embedding();
                    NDArray bad = e.embedding().mul(Float.NaN);
                    return new TrainingExample(ex.name(), new ImageEmbedding(bad, e.inputHeight(), e.inputWidth(),
                            e.originalHeight(), e.originalWidth()), ex.mask(), ex.prompt());
                }
            };
            TrainingDivergedException ex = catchThrowableOfType(TrainingDivergedException.class,
                    () -> trainer.fit(poisoned, null, run, false));
            assertThat(ex.getMessage()).contains("loss became NaN at step 4").contains("--lr")
                    .contains("last good checkpoint (step 3)").contains(run.path().toString());
            try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                 StateDict last = SamCheckpoint.load(run.file(RunDirectory.DECODER_LAST), m)) {
                for (String k : last.keys()) {
                    assertThat(last.get(k).isNaN().any().getBoolean()).as(k + " has NaN").isFalse();
                    assertThat(last.get(k).toFloatArray()).as(k).containsExactly(
                            model.decoderParameters().get(k).toFloatArray());
                }
            }
        }
    }

    @Test
    void permutationIsSeededPerEpoch() {
        int[] a = DecoderTrainer.permutation(20, 1, 0);
        assertThat(a).containsExactlyInAnyOrder(java.util.stream.IntStream.range(0, 20).toArray());
        assertThat(DecoderTrainer.permutation(20, 1, 0)).containsExactly(a);
        assertThat(DecoderTrainer.permutation(20, 1, 1)).isNotEqualTo(a);
        assertThat(DecoderTrainer.permutation(20, 2, 0)).isNotEqualTo(a);
    }

    @Test
    void schedules() {
        LearningRateSchedule cos = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 1.0, 10, 1, 0.1, 110);
        assertThat(cos.at(0)).isEqualTo(0.1);
        assertThat(cos.at(9)).isEqualTo(1.0);
        assertThat(cos.at(60)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(cos.at(110)).isCloseTo(0.0, org.assertj.core.data.Offset.offset(1e-9));
        LearningRateSchedule step = new LearningRateSchedule(LearningRateSchedule.Kind.STEP, 1.0, 0, 5, 0.5, 100);
        assertThat(step.at(4)).isEqualTo(1.0);
        assertThat(step.at(5)).isEqualTo(0.5);
        assertThat(step.at(12)).isEqualTo(0.25);
    }

    @Test
    void lowResTargetFollowsTheMaskAndIgnoresPadding() {
        boolean[] px = new boolean[4 * 8];
        px[0] = true; // top-left pixel of a 4x8 image
        io.samtune.data.BinaryMask mask = new io.samtune.data.BinaryMask(4, 8, px);
        // 4x8 image resized to 4x8 inside an 8x8 input: rows 4..7 are padding
        float[] t = PromptedSegmentation.lowResTarget(mask, new ImageEmbedding(null, 4, 8, 4, 8), 8, 8);
        assertThat(t[0]).isEqualTo(1f);
        assertThat(t[1]).isEqualTo(0f);
        assertThat(t[5 * 8]).isEqualTo(0f);
    }
}
