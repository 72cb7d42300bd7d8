package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.samtune.core.Engines;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prompt;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.image.RgbImage;
import io.samtune.data.BinaryMask;
import io.samtune.data.BoxPrompt;
import io.samtune.data.Fixtures;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One fine-tuning step reproduces {@code tiny-sam-train.npz} (official SAM in PyTorch, Adam lr 1e-3):
 * the first loss, every decoder gradient, every decoder parameter after the step, and the loss
 * curve of five steps, within 1e-4.
 */
class TinySamTrainReferenceTest {

    static final double TOL = 1e-4;
    static NDManager manager;
    static NDList ref;

    @BeforeAll
    static void load() throws Exception {
        Engines.pytorch();
        manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
        try (InputStream in = Files.newInputStream(reference("tiny-sam-train.npz"))) {
            ref = NDList.decode(manager, in);
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Path reference(String name) {
        return Fixtures.root().resolve("testdata/reference").resolve(name);
    }

    static SamModel tinyModel() throws Exception {
        return SamModel.load(reference("tiny-sam.pth"), SamConfig.fromJson(reference("tiny-sam-config.json")), Device.cpu());
    }

    static List<TrainingExample> samples(SamModel model, NDManager m) {
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            NDArray img = ref.get("sample" + i + ".image");
            long[] s = img.getShape().getShape();
            RgbImage rgb = new RgbImage((int) s[0], (int) s[1], img.toType(DataType.UINT8, false).toByteArray());
            ImageEmbedding e = model.embed(rgb, m);
            float[] gt = ref.get("sample" + i + ".gt_mask").toType(DataType.FLOAT32, false).toFloatArray();
            boolean[] px = new boolean[gt.length];
            for (int k = 0; k < gt.length; k++) {
                px[k] = gt[k] > 0.5f;
            }
            double[] b = ref.get("sample" + i + ".box").toType(DataType.FLOAT64, false).toDoubleArray();
            out.add(new TrainingExample("sample" + i, e, new BinaryMask((int) s[0], (int) s[1], px),
                    Prompt.of(new BoxPrompt(b[0], b[1], b[2], b[3]))));
        }
        return out;
    }

    static double maxDiff(NDArray a, NDArray b) {
        assertThat(a.getShape()).as(b.getName()).isEqualTo(b.getShape());
        return a.toType(DataType.FLOAT64, false).sub(b.toType(DataType.FLOAT64, false)).abs().max().getDouble();
    }

    @Test
    void firstStepLossGradientsAndParameters() throws Exception {
        TrainingConfig cfg = TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(1e-3).build()).build();
        try (SamModel model = tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, cfg);
             NDManager m = manager.newSubManager()) {
            List<TrainingExample> batch = samples(model, m);
            double loss = trainer.computeGradients(batch, 1.0);
            assertThat(loss).isCloseTo(ref.get("loss0").toType(DataType.FLOAT64, false).getDouble(), within(TOL));

            Map<String, NDArray> grads = trainer.gradients();
            assertThat(grads).hasSize(model.config().decoderShapes().size());
            double worst = 0;
            for (Map.Entry<String, NDArray> g : grads.entrySet()) {
                NDArray expected = ref.get("grad." + g.getKey());
                assertThat(expected).as("reference gradient of " + g.getKey()).isNotNull();
                double d = maxDiff(g.getValue(), expected);
                assertThat(d).as("gradient of " + g.getKey()).isLessThanOrEqualTo(TOL);
                worst = Math.max(worst, d);
            }
            trainer.applyGradients(1e-3);
            for (Map.Entry<String, NDArray> p : model.decoderParameters().entrySet()) {
                double d = maxDiff(p.getValue(), ref.get("param1." + p.getKey()));
                assertThat(d).as("parameter " + p.getKey() + " after one Adam step").isLessThanOrEqualTo(TOL);
            }
            assertThat(trainer.optimizer().updates()).isEqualTo(1);
            // the step zeroed the gradients
            assertThat(trainer.gradients().values().iterator().next().abs().max().getFloat()).isZero();
        }
    }

    @Test
    void fiveStepLossCurve() throws Exception {
        TrainingConfig cfg = TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(1e-3).build()).build();
        try (SamModel model = tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, cfg);
             NDManager m = manager.newSubManager()) {
            List<TrainingExample> batch = samples(model, m);
            double[] expected = ref.get("losses").toType(DataType.FLOAT64, false).toDoubleArray();
            assertThat(expected).hasSize(5);
            for (int i = 0; i < 5; i++) {
                assertThat(trainer.trainStep(batch)).as("loss before step " + (i + 1)).isCloseTo(expected[i], within(TOL));
            }
        }
    }
}
