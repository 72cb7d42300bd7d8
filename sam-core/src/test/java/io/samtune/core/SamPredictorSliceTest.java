package io.samtune.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.Sample;
import io.samtune.data.figshare.FigshareSource;
import io.samtune.data.Fixtures;
import io.samtune.data.MatSliceReader;
import io.samtune.data.PointPrompt;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The predictor on a phantom slice, end to end: sizes, determinism, prompts of every kind. */
class SamPredictorSliceTest {

    static double maxDiff(float[] a, float[] b) {
        assertThat(a.length).isEqualTo(b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void predictsOnASliceDeterministically() throws Exception {
        Sample slice = FigshareSource.read(Fixtures.phantoms().resolve("2.mat"));
        try (SamModel model = SamModel.load(Reference.file("tiny-sam.pth"),
                SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             SamPredictor predictor = model.newPredictor()) {
            assertThatThrownBy(() -> predictor.predict(Prompt.of(slice.box()))).hasMessageContaining("no image set");
            predictor.setImage(slice);
            ImageEmbedding e = predictor.embedding();
            assertThat(e.embedding().getShape().getShape()).containsExactly(1, 32, 8, 8);
            assertThat(e.inputHeight()).isEqualTo(128);
            assertThat(e.originalHeight()).isEqualTo(512);

            Prediction a = predictor.predict(Prompt.of(slice.box()), true);
            Prediction b = predictor.predict(Prompt.of(slice.box()), true);
            assertThat(java.util.Arrays.equals(a.maskLogits(), b.maskLogits())).as("same prompt, same logits").isTrue();
            assertThat(a.channels()).isEqualTo(3);
            assertThat(a.mask(0, a.bestChannel(0)).height()).isEqualTo(512);
            assertThat(a.lowResSize()).isEqualTo(32);

            Prediction p = predictor.predict(Prompt.of(slice.box(), PointPrompt.interior(slice.mask())));
            assertThat(p.mask().width()).isEqualTo(512);
            Prediction refined = predictor.predict(Prompt.of(slice.box()).withMaskInput(a.lowResLogits(0, 0)));
            assertThat(java.util.Arrays.equals(refined.maskLogits(), predictor.predict(Prompt.of(slice.box())).maskLogits()))
                    .as("a mask input changes the answer").isFalse();
            Prediction batch = predictor.predictBoxes(List.of(slice.box(), slice.box().jitter(4, new java.util.Random(1),
                    512, 512)), false);
            assertThat(batch.batch()).isEqualTo(2);
            assertThat(maxDiff(batch.maskLogits(0, 0), predictor.predict(Prompt.of(slice.box())).maskLogits()))
                    .as("a box in a batch gets the answer it gets alone").isLessThan(1e-5);

            Prediction single = predictor.predict(Prompt.of(slice.box()));
            predictor.setImage(slice, IntensityWindow.percentiles(0.5, 99.5));
            Prediction clipped = predictor.predict(Prompt.of(slice.box()));
            assertThat(maxDiff(clipped.maskLogits(), single.maskLogits())).as("another window, another embedding").isPositive();
            assertThat(clipped.toString()).startsWith("Prediction[1 prompt(s) x 1 mask(s), 512x512, predicted IoU ");
        }
    }
}
