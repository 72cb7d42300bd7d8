package io.samtune.core;

import static io.samtune.core.Reference.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.samtune.core.model.MaskDecoder;
import io.samtune.core.model.PromptEncoder;
import org.junit.jupiter.api.Test;

/**
 * The full-size prompt encoder and mask decoder (ViT-B/L/H sizes, random weights) from {@code
 * decoder-vitb-random.pth} reproduce {@code decoder-vitb-cases.npz} within 1e-4.
 */
class VitBDecoderReferenceTest {

    @Test
    void fullSizeDecoderMatchesPyTorch() throws Exception {
        try (SamModel model = SamModel.load(Reference.file("decoder-vitb-random.pth"), null, Device.cpu());
             NDManager manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH)) {
            assertThat(model.hasImageEncoder()).isFalse();
            assertThat(model.config().promptEmbedDim()).isEqualTo(256);
            assertThat(model.config().decoderMlpDim()).isEqualTo(2048);
            assertThat(model.config().embeddingSize()).isEqualTo(64);
            NDList c = Reference.npz("decoder-vitb-cases.npz", manager);
            NDArray coords = c.get("point_coords").toType(DataType.FLOAT32, false);
            NDArray labels = c.get("point_labels").toType(DataType.FLOAT32, false);
            NDArray box = c.get("box").toType(DataType.FLOAT32, false);

            PromptEncoder.Embeddings e = model.promptEncoder().forward(coords, labels, box, null);
            assertClose(e.sparse(), c.get("sparse_embeddings"));
            assertClose(e.dense(), c.get("dense_embeddings"));
            NDArray pe = model.promptEncoder().densePe(manager);
            assertClose(pe, c.get("dense_pe"));

            MaskDecoder.Output out = model.maskDecoder().forward(c.get("image_embedding"), pe, e.sparse(), e.dense(), true);
            assertClose(out.lowResLogits(), c.get("low_res_logits"));
            assertClose(out.iouPredictions(), c.get("iou_predictions"));
        }
    }
}
