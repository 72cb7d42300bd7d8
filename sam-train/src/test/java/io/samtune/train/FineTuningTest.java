package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.samtune.core.SamConfig;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.core.io.Sha256;
import io.samtune.data.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run started from Java records the same provenance as one started from the command line. */
class FineTuningTest {

    @TempDir
    Path tmp;

    @Test
    void aLibraryRunWritesItsProvenanceAndSettings() throws Exception {
        Path checkpoint = TinySamTrainReferenceTest.reference("tiny-sam.pth");
        TrainingConfig config = TrainingConfig.builder()
                .optData(DataConfig.builder().setFolder(Fixtures.phantoms()).optBoxJitter(1).build())
                .optModel(ModelConfig.builder().setCheckpoint(checkpoint)
                        .optSizes(SamConfig.fromJson(TinySamTrainReferenceTest.reference("tiny-sam-config.json")))
                        .optDevice("cpu").optCacheFolder(tmp.resolve("cache")).build())
                .optOptimization(OptimizationConfig.builder().optLearningRate(3e-3).optBatchSize(4).build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(3).build()).build();
        // the folder of a start that failed before training (a run.json, a lock file, nothing trained): a resume
        // says to start again, and a fresh start takes the folder over
        java.nio.file.Files.createDirectories(tmp.resolve("run"));
        java.nio.file.Files.writeString(tmp.resolve("run").resolve(RunDirectory.RUN), "{\"settings\": {}}");
        java.nio.file.Files.writeString(tmp.resolve("run").resolve(".lock"), "");
        RunDirectory run = new RunDirectory(tmp.resolve("run"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new FineTuning(config).run(run, true))
                .hasMessageContaining("start it again without --resume");
        int[] encoded = {0};
        TrainingResult r = new FineTuning(config).setObserver(new FineTuning.Observer() {
            @Override
            public void onEncoding(int done, int total) {
                encoded[0] = done;
            }
        }).run(run, false);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(encoded[0]).isPositive();

        JsonObject info = run.readRunInfo();
        assertThat(TrainingConfig.fromJson(info.get("settings"))).isEqualTo(config);
        assertThat(info.get("checkpointSha256").getAsString()).isEqualTo(Sha256.of(checkpoint));
        assertThat(info.get("seed").getAsLong()).isEqualTo(config.run().seed());
        assertThat(info.get("splitSeed").getAsLong()).isEqualTo(config.data().split().seed());
        JsonObject first = info.getAsJsonArray("train").get(0).getAsJsonObject();
        assertThat(first.get("sha256").getAsString())
                .isEqualTo(Sha256.of(Fixtures.phantoms().resolve(first.get("file").getAsString())));
        assertThat(info.get("libtorch").getAsString()).isNotBlank();
        assertThat(run.file(RunDirectory.DECODER_BEST)).isRegularFile();
    }

    @Test
    void aRunOnAFilledCacheNeverReadsTheImageEncoder() throws Exception {
        Path checkpoint = TinySamTrainReferenceTest.reference("tiny-sam.pth");
        TrainingConfig config = TrainingConfig.builder()
                .optData(DataConfig.builder().setFolder(Fixtures.phantoms()).build())
                .optModel(ModelConfig.builder().setCheckpoint(checkpoint)
                        .optSizes(SamConfig.fromJson(TinySamTrainReferenceTest.reference("tiny-sam-config.json")))
                        .optDevice("cpu").optCacheFolder(tmp.resolve("cache")).build())
                .optOptimization(OptimizationConfig.builder().optLearningRate(3e-3).optBatchSize(4).build())
                .optSchedule(ScheduleConfig.builder().optMaxSteps(4).build()).build();
        io.samtune.core.SamModel[] seen = new io.samtune.core.SamModel[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            new FineTuning(config).setObserver(new FineTuning.Observer() {
                @Override
                public void onModel(io.samtune.core.SamModel model, io.samtune.core.cache.EmbeddingCache cache) {
                    seen[k] = model;
                }
            }).run(new RunDirectory(tmp.resolve("run-" + i)), false);
        }
        assertThat(seen[0].imageEncoderLoaded()).as("the first run fills the cache with the encoder").isTrue();
        assertThat(seen[1].imageEncoderLoaded()).as("the second finds every embedding cached").isFalse();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
             io.samtune.core.checkpoint.StateDict a = io.samtune.core.checkpoint.SamCheckpoint.load(
                     tmp.resolve("run-0").resolve(RunDirectory.DECODER_LAST), m);
             io.samtune.core.checkpoint.StateDict b = io.samtune.core.checkpoint.SamCheckpoint.load(
                     tmp.resolve("run-1").resolve(RunDirectory.DECODER_LAST), m)) {
            for (String key : a.keys()) {
                assertThat(b.get(key).toFloatArray()).as(key).containsExactly(a.get(key).toFloatArray());
            }
        }
    }
}
