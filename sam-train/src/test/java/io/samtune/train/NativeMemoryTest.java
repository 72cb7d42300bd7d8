package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.core.Prompt;
import io.samtune.core.PromptMode;
import io.samtune.core.config.DataConfig;
import io.samtune.core.SamModel;
import io.samtune.core.SamPredictor;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.Sample;
import io.samtune.data.DataSplit;
import io.samtune.data.Fixtures;
import io.samtune.eval.DiceScorer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native memory is scoped: after a warm-up, more training steps, predictions and validations leave
 * the number of arrays held by the model's manager (and all its sub-managers) unchanged.
 */
class NativeMemoryTest {

    @TempDir
    Path tmp;

    @Test
    void stepsPredictionsAndValidationsLeaveNoArraysBehind() throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        TrainingConfig cfg = TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(1e-3).optBatchSize(3).build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(3).build()).build();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, cfg);
             SamPredictor predictor = model.newPredictor()) {
            EmbeddingCache cache = new EmbeddingCache(tmp, model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).optBoxJitter(2).build());
            DiceScorer scorer = new DiceScorer(model, cache, PromptMode.BOX, IntensityWindow.minMax());
            Sample slice = split.test().get(0).load();
            Runnable work = () -> {
                try {
                    trainer.fit(data, () -> DiceScorer.meanDice(scorer.score(split.validation(), null)), null, false);
                    predictor.setImage(slice);
                    predictor.predict(Prompt.of(slice.box()), true);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            work.run();
            int after1 = model.manager().getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                work.run();
            }
            int after4 = model.manager().getManagedArrays().size();
            assertThat(after4).as("arrays held by the model's managers after 1 vs 4 rounds").isEqualTo(after1);
        }
    }
}
