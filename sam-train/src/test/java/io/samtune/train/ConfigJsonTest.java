package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.PromptMode;
import io.samtune.core.SamConfig;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.SplitSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every config goes to JSON and back to an equal record; bad JSON is refused by name. */
class ConfigJsonTest {

    static TrainingConfig everythingSet() {
        return TrainingConfig.builder()
                .optData(DataConfig.builder().setFolder(Path.of("/data/figshare"))
                        .optSplit(SplitSpec.builder().optFolds(5, 3).optValFraction(0.2).optSeed(9).build())
                        .optSkipInvalid(true).optPrompt(PromptMode.BOX_POINT).optBoxJitter(7)
                        .optWindow(IntensityWindow.percentiles(0.5, 99.5)).build())
                .optModel(ModelConfig.builder().setCheckpoint(Path.of("sam_vit_b.pth")).optSizes(SamConfig.vitB())
                        .optDevice("gpu:1").optDevices(java.util.List.of("gpu:0", "gpu:1")).optCacheFolder(Path.of("/tmp/cache")).optCacheFloat16(false)
                        .optUseCache(false).build())
                .optOptimization(OptimizationConfig.builder().optLoss(OptimizationConfig.Loss.DICE_BCE)
                        .optLowResLoss(true).optAlgorithm(OptimizationConfig.Algorithm.ADAMW).optLearningRate(3.5e-4)
                        .optBetas(0.8, 0.99).optEpsilon(1e-6).optWeightDecay(0.01).optBatchSize(8)
                        .optGradAccumulation(2).build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(123).optKind(LearningRateSchedule.Kind.COSINE)
                        .optWarmupSteps(10).optStepDecay(50, 0.5).build())
                .optRun(RunConfig.builder().optSeed(-3).optCheckpointEvery(7).optSelect(RunConfig.Selection.LAST).build())
                .build();
    }

    @Test
    void everyConfigRoundTrips() {
        TrainingConfig c = everythingSet();
        assertThat(TrainingConfig.fromJson(c.toJson())).isEqualTo(c);
        assertThat(TrainingConfig.fromJson(JsonParser.parseString(c.toJson().toString()))).isEqualTo(c);
        assertThat(DataConfig.fromJson(c.data().toJson())).isEqualTo(c.data());
        assertThat(ModelConfig.fromJson(c.model().toJson())).isEqualTo(c.model());
        assertThat(OptimizationConfig.fromJson(c.optimization().toJson())).isEqualTo(c.optimization());
        assertThat(ScheduleConfig.fromJson(c.schedule().toJson())).isEqualTo(c.schedule());
        assertThat(RunConfig.fromJson(c.run().toJson())).isEqualTo(c.run());
        SplitSpec cv = SplitSpec.builder().optCvIndex(Path.of("cvind.mat"), 2).build();
        assertThat(SplitSpec.fromJson(cv.toJson())).isEqualTo(cv);
        TrainingConfig defaults = TrainingConfig.builder().build();
        assertThat(TrainingConfig.fromJson(defaults.toJson())).isEqualTo(defaults);
        assertThat(TrainingConfig.fromJson(new JsonObject())).isEqualTo(defaults);
    }

    @Test
    void badSettingsAreRefusedByName() {
        JsonObject typo = everythingSet().toJson();
        typo.getAsJsonObject("optimization").addProperty("learningRat", 1e-3);
        assertThatThrownBy(() -> TrainingConfig.fromJson(typo)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown setting [learningRat] in 'optimization'").hasMessageContaining("learningRate");

        JsonObject wrongType = everythingSet().toJson();
        wrongType.getAsJsonObject("optimization").addProperty("batchSize", "eight");
        assertThatThrownBy(() -> TrainingConfig.fromJson(wrongType))
                .hasMessageContaining("optimization.batchSize must be a whole number").hasMessageContaining("eight");

        JsonObject range = everythingSet().toJson();
        range.getAsJsonObject("optimization").addProperty("beta1", 1.5);
        assertThatThrownBy(() -> TrainingConfig.fromJson(range)).hasMessageContaining("beta1");

        assertThatThrownBy(() -> TrainingConfig.fromJson(JsonParser.parseString("[1, 2]")))
                .hasMessageContaining("settings 'settings' must be a JSON object");
    }

    @Test
    void resumeSettingsNameOnlyWhatDiffers() {
        TrainingConfig c = everythingSet();
        assertThat(c.resumeDifferences(c.resumeSettings())).isEmpty();
        // under a cosine schedule the length sets every step's learning rate
        TrainingConfig longer = c.toBuilder().optSchedule(c.schedule().toBuilder().optMaxSteps(500).build()).build();
        assertThat(longer.resumeDifferences(c.resumeSettings()))
                .containsExactly("scheduleLength: saved \"123 steps\", given \"500 steps\"");
        // with a constant schedule, a run's length, checkpoints, device and folders may change on resume
        TrainingConfig constant = c.toBuilder().optSchedule(c.schedule().toBuilder()
                .optKind(LearningRateSchedule.Kind.CONSTANT).build()).build();
        TrainingConfig more = constant.toBuilder().optSchedule(constant.schedule().toBuilder().optMaxSteps(500).build())
                .optRun(c.run().toBuilder().optCheckpointEvery(1).build())
                .optModel(c.model().toBuilder().optDevice("cpu").build()).build();
        assertThat(more.resumeDifferences(constant.resumeSettings())).isEmpty();
        TrainingConfig other = c.toBuilder().optOptimization(c.optimization().toBuilder().optLearningRate(1e-2).build())
                .build();
        assertThat(other.resumeDifferences(c.resumeSettings())).containsExactly("learningRate: saved 3.5E-4, given 0.01");
        // training-state format 1 had no betas or epsilon: they count as the defaults
        JsonObject v1 = TrainingConfig.builder().build().resumeSettings();
        v1.remove("beta1");
        v1.remove("beta2");
        v1.remove("epsilon");
        assertThat(TrainingConfig.builder().build().resumeDifferences(v1)).isEmpty();
    }
}
