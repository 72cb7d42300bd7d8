package io.samtune.core;

import static io.samtune.core.Reference.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.image.ImagePreprocessor;
import io.samtune.core.image.RgbImage;
import io.samtune.core.model.PromptEncoder;
import io.samtune.data.BoxPrompt;
import io.samtune.data.PointPrompt;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tiny SAM loaded from {@code tiny-sam.pth} reproduces every array of {@code
 * tiny-sam-cases.npz} (the official PyTorch predictor on the same weights) within 1e-4.
 */
class TinySamReferenceTest {

    static NDManager manager;
    static SamModel model;
    static NDList cases;
    static SamPredictor predictor;

    @BeforeAll
    static void load() throws Exception {
        model = SamModel.load(Reference.file("tiny-sam.pth"), SamConfig.fromJson(Reference.file("tiny-sam-config.json")),
                Device.cpu());
        manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
        cases = Reference.npz("tiny-sam-cases.npz", manager);
        predictor = model.newPredictor();
        predictor.setImage(image());
    }

    @AfterAll
    static void close() {
        predictor.close();
        manager.close();
        model.close();
    }

    static NDArray ref(String name) {
        NDArray a = cases.get(name);
        assertThat(a).as("reference array " + name).isNotNull();
        return a;
    }

    static RgbImage image() {
        NDArray img = ref("image");
        long[] s = img.getShape().getShape();
        return new RgbImage((int) s[0], (int) s[1], img.toType(DataType.UINT8, false).toByteArray());
    }

    @Test
    void configInferredFromTheCheckpointMatchesTheJson() throws Exception {
        SamConfig json = SamConfig.fromJson(Reference.file("tiny-sam-config.json"));
        assertThat(SamConfig.inferFrom(model.weights()).toBuilder().optDecoderNumHeads(4).build()).isEqualTo(json);
        assertThat(json.encoderGlobalAttnIndexes()).containsExactly(2);
    }

    @Test
    void resizeIsPillowsBilinear() {
        RgbImage resized = new ImagePreprocessor(128).resize(image());
        NDArray expected = ref("input_image");
        assertThat(new long[] {resized.height(), resized.width(), 3}).isEqualTo(expected.getShape().getShape());
        byte[] e = expected.toType(DataType.UINT8, false).toByteArray();
        int maxDiff = 0;
        for (int i = 0; i < e.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((resized.rgb()[i] & 0xff) - (e[i] & 0xff)));
        }
        assertThat(maxDiff).as("max |java - PIL| over the resized pixels").isLessThanOrEqualTo(1);
    }

    @Test
    void modelInputEmbeddingAndDensePe() {
        try (NDManager scope = manager.newSubManager()) {
            ImagePreprocessor.ModelInput input = model.preprocessor().prepare(image(), scope);
            assertClose(input.pixels(), ref("model_input"));
            NDArray emb = model.imageEncoder().forward(ref("model_input"));
            assertClose(emb, ref("image_embedding"));
            assertClose(predictor.embedding().embedding(), ref("image_embedding"));
            assertClose(model.promptEncoder().densePe(scope), ref("dense_pe"));
        }
    }

    @Test
    void promptEmbeddingsOfBoxAndPoint() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray coords = ref("box_point.transformed_point_coords").toType(DataType.FLOAT32, false);
            NDArray box = ref("box_point.transformed_box").toType(DataType.FLOAT32, false);
            NDArray labels = ref("box_point.point_labels").toType(DataType.FLOAT32, false);
            float[] mine = model.preprocessor().toModelFrame(ref("box_point.point_coords").toType(DataType.FLOAT64, false)
                    .toDoubleArray(), 96, 80);
            assertThat(mine).containsExactly(coords.toFloatArray(), org.assertj.core.data.Offset.offset(1e-4f));
            PromptEncoder.Embeddings e = model.promptEncoder().forward(coords.reshape(1, -1, 2), labels.reshape(1, -1),
                    box.reshape(1, 4), null);
            assertClose(e.sparse(), ref("box_point.sparse_embeddings"));
            assertClose(e.dense(), ref("box_point.dense_embeddings"));
            scope.tempAttachAll(e.sparse(), e.dense());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"point,single", "point,multi", "points2,single", "points2,multi", "box,single", "box,multi",
        "box_point,single", "box_point,multi"})
    void promptSets(String set, String mode) {
        List<PointPrompt> points = new ArrayList<>();
        if (cases.contains(set + ".point_coords")) {
            double[] xy = ref(set + ".point_coords").toType(DataType.FLOAT64, false).toDoubleArray();
            double[] labels = ref(set + ".point_labels").toType(DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < labels.length; i++) {
                points.add(new PointPrompt(xy[2 * i], xy[2 * i + 1], labels[i] == 1));
            }
        }
        BoxPrompt box = null;
        if (cases.contains(set + ".box")) {
            double[] b = ref(set + ".box").toType(DataType.FLOAT64, false).toDoubleArray();
            box = new BoxPrompt(b[0], b[1], b[2], b[3]);
        }
        boolean multi = mode.equals("multi");
        Prediction p = predictor.predict(new Prompt(points, box, null), multi);
        check(p, set + "_" + mode, multi ? 3 : 1);
    }

    @Test
    void maskInputCase() {
        double[] b = ref("box.box").toType(DataType.FLOAT64, false).toDoubleArray();
        float[] maskInput = ref("box_mask.mask_input").toType(DataType.FLOAT32, false).toFloatArray();
        Prediction p = predictor.predict(Prompt.of(new BoxPrompt(b[0], b[1], b[2], b[3])).withMaskInput(maskInput), false);
        assertClose(arr(p.maskLogits(), 1, 96, 80), ref("box_mask.mask_logits"));
        assertClose(arr(p.iouPredictions(), 1), ref("box_mask.iou_predictions"));
    }

    @Test
    void batchOfThreeBoxes() {
        double[] b = ref("boxes3.boxes").toType(DataType.FLOAT64, false).toDoubleArray();
        List<BoxPrompt> boxes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            boxes.add(new BoxPrompt(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]));
        }
        Prediction p = predictor.predictBoxes(boxes, false);
        assertClose(arr(p.maskLogits(), 3, 1, 96, 80), ref("boxes3.mask_logits"));
        assertClose(arr(p.iouPredictions(), 3, 1), ref("boxes3.iou_predictions"));
        assertMasksAgree(p.maskLogits(), ref("boxes3.mask_logits"));
    }

    private void check(Prediction p, String name, int channels) {
        assertThat(p.batch()).isEqualTo(1);
        assertThat(p.channels()).isEqualTo(channels);
        assertClose(arr(p.lowResLogits(), channels, 32, 32), ref(name + ".low_res_logits"));
        assertClose(arr(p.iouPredictions(), channels), ref(name + ".iou_predictions"));
        assertClose(arr(p.maskLogits(), channels, 96, 80), ref(name + ".mask_logits"));
        assertMasksAgree(p.maskLogits(), ref(name + ".mask_logits"));
    }

    /** Binary masks agree everywhere except where the reference logit is within 1e-3 of 0. */
    static void assertMasksAgree(float[] logits, NDArray expected) {
        float[] e = expected.toType(DataType.FLOAT32, false).toFloatArray();
        int disagree = 0;
        for (int i = 0; i < e.length; i++) {
            if (Math.abs(e[i]) > 1e-3 && (logits[i] > 0) != (e[i] > 0)) {
                disagree++;
            }
        }
        assertThat(disagree).as("mask pixels that disagree").isZero();
    }

    static NDArray arr(float[] data, long... shape) {
        return manager.create(data, new Shape(shape));
    }
}
