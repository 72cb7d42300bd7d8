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
import io.samtune.core.model.LoraConfig;
import io.samtune.data.BinaryMask;
import io.samtune.data.BoxPrompt;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LoRA on the last two blocks of the tiny SAM, trained with the decoder by AdamW, reproduces
 * {@code tiny-sam-lora.npz} (official SAM in PyTorch): the tokens a block cache holds, the first
 * embedding, loss, every gradient and every parameter after one step, five losses, the merged qkv
 * weights and the embedding of a SAM holding them.
 */
class LoraReferenceTest {

    static NDManager manager;
    static NDList ref;
    static final LoraConfig LORA = new LoraConfig(4, 8, "2", List.of("q", "v"));

    @BeforeAll
    static void load() throws Exception {
        Engines.pytorch();
        manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
        try (InputStream in = Files.newInputStream(reference("tiny-sam-lora.npz"))) {
            ref = NDList.decode(manager, in);
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Path reference(String name) {
        return TinySamTrainReferenceTest.reference(name);
    }

    static NDArray ref(String name) {
        NDArray a = ref.get(name);
        assertThat(a).as("reference array " + name).isNotNull();
        return a;
    }

    /** The tiny SAM with the reference's adapters at their starting values. */
    static SamModel adaptedModel() throws Exception {
        SamModel model = SamModel.load(reference("tiny-sam.pth"), SamConfig.fromJson(reference("tiny-sam-config.json")),
                Device.cpu());
        Map<String, NDArray> init = new LinkedHashMap<>();
        for (String name : LORA.shapes(model.config()).keySet()) {
            init.put(name, ref("init." + name));
        }
        model.setAdapters(LORA, init);
        return model;
    }

    static RgbImage image(int i) {
        NDArray img = ref("sample" + i + ".image");
        long[] s = img.getShape().getShape();
        return new RgbImage((int) s[0], (int) s[1], img.toType(DataType.UINT8, false).toByteArray());
    }

    static List<TrainingExample> samples(SamModel model, NDManager m) {
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            RgbImage rgb = image(i);
            ImageEmbedding tokens = model.blockInputs(List.of(rgb), model.firstAdaptedBlock(), m).get(0);
            float[] gt = ref("sample" + i + ".gt_mask").toType(DataType.FLOAT32, false).toFloatArray();
            boolean[] px = new boolean[gt.length];
            for (int k = 0; k < gt.length; k++) {
                px[k] = gt[k] > 0.5f;
            }
            double[] b = ref("sample" + i + ".box").toType(DataType.FLOAT64, false).toDoubleArray();
            out.add(new TrainingExample("sample" + i, tokens, new BinaryMask(rgb.height(), rgb.width(), px),
                    Prompt.of(new BoxPrompt(b[0], b[1], b[2], b[3]))));
        }
        return out;
    }

    static TrainingConfig adamW() {
        return TrainingConfig.builder().optOptimization(OptimizationConfig.builder()
                .optAlgorithm(OptimizationConfig.Algorithm.ADAMW).optLearningRate(1e-3).optWeightDecay(0.01).build())
                .build();
    }

    static double maxDiff(NDArray a, NDArray b) {
        return TinySamTrainReferenceTest.maxDiff(a, b);
    }

    @Test
    void settingsMatchTheReference() {
        assertThat(ref("rank").toType(DataType.INT64, false).getLong()).isEqualTo(LORA.rank());
        assertThat((double) ref("alpha").toType(DataType.FLOAT32, false).getFloat()).isEqualTo(LORA.alpha());
        long[] blocks = ref("blocks").toType(DataType.INT64, false).toLongArray();
        assertThat(LORA.blockIndexes(tinySizes())).containsExactly((int) blocks[0], (int) blocks[1]);
    }

    static SamConfig tinySizes() {
        try {
            return SamConfig.fromJson(reference("tiny-sam-config.json"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void blockInputAndFirstEmbedding() throws Exception {
        try (SamModel model = adaptedModel(); NDManager m = manager.newSubManager()) {
            for (int i = 0; i < 2; i++) {
                ImageEmbedding tokens = model.blockInputs(List.of(image(i)), 1, m).get(0);
                assertThat(maxDiff(tokens.embedding(), ref("sample" + i + ".block_input"))).as("block input " + i)
                        .isLessThanOrEqualTo(1e-4);
            }
            ImageEmbedding tokens = model.blockInputs(List.of(image(0)), 1, m).get(0);
            ImageEmbedding fromCache = model.embedFromBlockInput(tokens, 1, m);
            assertThat(maxDiff(fromCache.embedding(), ref("embedding0"))).isLessThanOrEqualTo(1e-4);
            // the whole encoder with its adapters computes the same
            ImageEmbedding whole = model.embed(image(0), m);
            assertThat(maxDiff(whole.embedding(), ref("embedding0"))).isLessThanOrEqualTo(1e-4);
        }
    }

    @Test
    void firstStepLossGradientsAndParameters() throws Exception {
        try (SamModel model = adaptedModel(); DecoderTrainer trainer = new DecoderTrainer(model, adamW());
             NDManager m = manager.newSubManager()) {
            assertThat(trainer.parameters().names()).hasSize(8 + model.config().decoderShapes().size());
            double loss = trainer.computeGradients(samples(model, m), 1.0);
            assertThat(loss).isCloseTo(ref("loss0").toType(DataType.FLOAT64, false).getDouble(), within(1e-5));
            int adapterGradients = 0;
            for (Map.Entry<String, NDArray> g : trainer.gradients().entrySet()) {
                NDArray expected = ref("grad." + g.getKey());
                double scale = expected.abs().max().toType(DataType.FLOAT64, false).getDouble();
                assertThat(maxDiff(g.getValue(), expected)).as("gradient of " + g.getKey())
                        .isLessThanOrEqualTo(Math.max(1e-3 * scale, 1e-9));
                if (LoraConfig.isAdapterName(g.getKey())) {
                    assertThat(scale).as("the reference gradient of " + g.getKey() + " is not zero").isPositive();
                    adapterGradients++;
                }
            }
            assertThat(adapterGradients).isEqualTo(8);
            trainer.applyGradients(1e-3);
            for (String name : trainer.parameters().names()) {
                assertThat(maxDiff(model.weights().get(name), ref("param1." + name)))
                        .as("parameter " + name + " after one AdamW step").isLessThanOrEqualTo(1e-4);
            }
        }
    }

    @Test
    void fiveLossesMergedWeightsAndTheirEmbedding() throws Exception {
        try (SamModel model = adaptedModel(); DecoderTrainer trainer = new DecoderTrainer(model, adamW());
             NDManager m = manager.newSubManager()) {
            List<TrainingExample> batch = samples(model, m);
            double[] expected = ref("losses").toType(DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < 5; i++) {
                assertThat(trainer.trainStep(batch)).as("loss before step " + (i + 1)).isCloseTo(expected[i],
                        within(1e-5));
            }
            Map<String, NDArray> merged = new LinkedHashMap<>();
            for (int b : LORA.blockIndexes(model.config())) {
                String name = "image_encoder.blocks." + b + ".attn.qkv.weight";
                NDArray w = model.imageEncoder().mergedQkvWeight(b, m);
                assertThat(maxDiff(w, ref("merged." + name))).as(name).isLessThanOrEqualTo(1e-4);
                merged.put(name, w);
            }
            assertThat(maxDiff(model.embed(image(0), m).embedding(), ref("embedding5"))).isLessThanOrEqualTo(1e-4);
            // a SAM holding the merged weights and no adapters gives the same embedding
            Map<String, NDArray> whole = model.mergedWeights(m);
            assertThat(whole.keySet()).isEqualTo(model.config().expectedShapes().keySet());
            merged.forEach((k, v) -> assertThat(maxDiff(whole.get(k), v)).isZero());
            Path file = Files.createTempDirectory("lora").resolve("merged.safetensors");
            io.samtune.core.checkpoint.Safetensors.write(whole, Map.of(), file, false);
            try (SamModel plain = SamModel.load(file, model.config(), Device.cpu())) {
                assertThat(plain.adapters()).isNull();
                assertThat(maxDiff(plain.embed(image(0), m).embedding(), ref("embedding5"))).isLessThanOrEqualTo(1e-4);
            }
        }
    }
}
