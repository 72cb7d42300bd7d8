package io.samtune.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.samtune.core.Engines;
import io.samtune.core.Reference;
import io.samtune.core.SamConfig;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.StateDict;
import org.junit.jupiter.api.Test;

/**
 * Global attention computed a grid row at a time gives the reference embedding too; encoding leaves
 * nothing behind on the weights' manager.
 */
class ImageEncoderChunkingTest {

    /** A test on the tiny SAM's weights, sizes and reference cases. */
    @FunctionalInterface
    private interface TinyCase {
        void run(NDManager manager, SamConfig sizes, StateDict weights, NDList cases) throws Exception;
    }

    private static void withTinySam(TinyCase test) throws Exception {
        Engines.pytorch();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
             StateDict sd = SamCheckpoint.load(Reference.file("tiny-sam.pth"), m)) {
            test.run(m, SamConfig.fromJson(Reference.file("tiny-sam-config.json")), sd,
                    Reference.npz("tiny-sam-cases.npz", m));
        }
    }

    @Test
    void rowByRowAttentionMatchesTheReference() throws Exception {
        withTinySam((m, c, sd, cases) -> {
            try (ImageEncoder rowByRow = new ImageEncoder(c, sd, 1)) {
                NDArray emb = rowByRow.forward(cases.get("model_input"));
                Reference.assertClose(emb, cases.get("image_embedding"));
                assertThat(emb.getManager()).isSameAs(cases.get("model_input").getManager());
            }
        });
    }

    @Test
    void encodingLeavesNoArraysOnTheWeightsManager() throws Exception {
        withTinySam((m, c, sd, cases) -> {
            try (ImageEncoder encoder = new ImageEncoder(c, sd); NDManager images = m.newSubManager()) {
                NDArray x = cases.get("model_input").duplicate();
                x.attach(images);
                encoder.forward(x).close();
                int once = sd.manager().getManagedArrays().size();
                for (int i = 0; i < 3; i++) {
                    encoder.forward(x).close();
                }
                assertThat(sd.manager().getManagedArrays().size()).as("arrays on the weights' manager").isEqualTo(once);
            }
        });
    }
}
