package io.samtune.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.samtune.core.image.RgbImage;
import io.samtune.core.model.MaskDecoder;
import io.samtune.data.BoxPrompt;
import io.samtune.data.PointPrompt;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A batch of prompts on images of different sizes decodes as each prompt does alone. */
class PromptedDecodingTest {

    @Test
    void aBatchDecodesAsItsPromptsOneAtATime() throws Exception {
        try (SamModel model = SamModel.load(Reference.file("tiny-sam.pth"),
                SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             NDManager m = model.manager().newSubManager()) {
            NDArray pe = model.promptEncoder().densePe(m);
            int[] h = {90, 40, 64};
            int[] w = {72, 100, 64};
            NDList embeddings = new NDList();
            Random r = new Random(4);
            for (int i = 0; i < 3; i++) {
                byte[] px = new byte[h[i] * w[i] * 3];
                r.nextBytes(px);
                embeddings.add(model.embed(new RgbImage(h[i], w[i], px), m).embedding());
            }
            int side = model.config().lowResMaskSize();
            List<Prompt> prompts = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                float[] mask = new float[side * side];
                for (int k = 0; k < mask.length; k++) {
                    mask[k] = (float) r.nextGaussian();
                }
                prompts.add(new Prompt(List.of(new PointPrompt(5 + i * 3, 7 + i, true), new PointPrompt(20, 11 + 2 * i,
                        i % 2 == 0)), new BoxPrompt(2 + i, 3, 30 + i, 35 - i), mask));
            }
            MaskDecoder.Output batch = PromptedDecoding.decode(model, NDArrays.concat(embeddings, 0), pe, prompts, h, w,
                    true, m);
            for (int i = 0; i < 3; i++) {
                MaskDecoder.Output one = PromptedDecoding.decode(model, embeddings.get(i), pe, List.of(prompts.get(i)),
                        new int[] {h[i]}, new int[] {w[i]}, true, m);
                assertThat(Reference.maxAbsDiff(batch.lowResLogits().get(new NDIndex("{}:{}", i, i + 1)),
                        one.lowResLogits())).as("prompt " + i).isLessThan(1e-5);
                assertThat(Reference.maxAbsDiff(batch.iouPredictions().get(new NDIndex("{}:{}", i, i + 1)),
                        one.iouPredictions())).isLessThan(1e-5);
            }
            // the frames differ per image: the same prompt on another image size decodes otherwise
            MaskDecoder.Output moved = PromptedDecoding.decode(model, embeddings.get(0), pe, List.of(prompts.get(0)),
                    new int[] {h[1]}, new int[] {w[1]}, true, m);
            assertThat(Reference.maxAbsDiff(batch.lowResLogits().get(new NDIndex("0:1")), moved.lowResLogits()))
                    .isGreaterThan(1e-4);
            assertThat(batch.lowResLogits().getShape().get(0)).isEqualTo(3);
            assertThat(batch.lowResLogits().getShape().get(1)).isEqualTo(3);

            List<Prompt> mixed = List.of(prompts.get(0), Prompt.of(new BoxPrompt(1, 1, 9, 9)));
            assertThatThrownBy(() -> PromptedDecoding.decode(model, NDArrays.concat(new NDList(embeddings.get(0),
                    embeddings.get(1)), 0), pe, mixed, h, w, false, m)).hasMessageContaining("same form");
            List<Prompt> shortMask = List.of(new Prompt(List.of(), new BoxPrompt(1, 1, 9, 9), new float[7]));
            assertThatThrownBy(() -> PromptedDecoding.decode(model, embeddings.get(0), pe, shortMask, h, w, false, m))
                    .hasMessageContaining("mask input must be " + side + "x" + side);
        }
    }
}
