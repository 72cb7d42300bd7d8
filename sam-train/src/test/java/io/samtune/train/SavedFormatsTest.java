package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.samtune.core.SamModel;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.data.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files saved by earlier format versions keep loading. */
class SavedFormatsTest {

    static Path fixture(String name) {
        return Fixtures.root().resolve("testdata/formats").resolve(name);
    }

    @Test
    void decoderVersion1LoadsOntoTheTinyModel() throws Exception {
        Map<String, String> meta = new HashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             StateDict sd = SamCheckpoint.load(fixture("decoder-v1.safetensors"), m, meta)) {
            assertThat(meta).containsEntry(SamModel.FORMAT_KEY, SamModel.DECODER_FORMAT)
                    .containsEntry(SamModel.FORMAT_VERSION_KEY, "1");
            assertThat(sd.keys()).allMatch(k -> k.startsWith("mask_decoder."));
        }
        try (SamModel model = TinySamTrainReferenceTest.tinyModel()) {
            float before = model.weights().get("mask_decoder.iou_token.weight").sum().getFloat();
            model.loadDecoder(fixture("decoder-v1.safetensors"));
            assertThat(model.weights().get("mask_decoder.iou_token.weight").sum().getFloat()).isNotEqualTo(before);
        }
    }

    @Test
    void trainingStateVersion1Resumes(@TempDir Path tmp) throws Exception {
        Map<String, String> meta = new HashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             StateDict sd = SamCheckpoint.load(fixture("training-state-v1.safetensors"), m, meta)) {
            assertThat(meta).containsEntry(SamModel.FORMAT_KEY, RunDirectory.STATE_FORMAT)
                    .containsEntry(SamModel.FORMAT_VERSION_KEY, "1");
            assertThat(sd.keys()).anyMatch(k -> k.startsWith("optimizer.m.mask_decoder."));
            // the settings of the run that wrote it: samtune train's demo defaults
            TrainingConfig saved = TrainingConfig.builder()
                    .optOptimization(OptimizationConfig.builder().optLearningRate(5e-3).build())
                    .optSchedule(ScheduleConfig.builder().optEpochs(30).build()).build();
            Files.copy(fixture("training-state-v1.safetensors"), tmp.resolve(RunDirectory.STATE));
            try (SamModel model = TinySamTrainReferenceTest.tinyModel();
                 DecoderTrainer trainer = new DecoderTrainer(model, saved)) {
                RunDirectory.Restored restored = new RunDirectory(tmp).loadState(trainer.parameters(),
                        trainer.optimizer(), saved, 120, model.manager());
                RunDirectory.State st = restored.state();
                assertThat(restored.best()).as("format 1 keeps no best decoder in the state").isNull();
                assertThat(st.metricsBytes()).as("format 1 knows no metrics length").isEqualTo(-1);
                assertThat(st.step()).isEqualTo(120);
                assertThat(st.epoch()).isEqualTo(30);
                assertThat(trainer.optimizer().updates()).isEqualTo(120);
                String k = "mask_decoder.iou_token.weight";
                assertThat(model.weights().get(k).toFloatArray()).containsExactly(sd.get(k).toFloatArray());
            }
        }
    }
}
