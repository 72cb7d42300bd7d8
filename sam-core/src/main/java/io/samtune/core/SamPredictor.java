package io.samtune.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.samtune.core.image.IntensityWindow;
import io.samtune.core.image.MaskPostprocessor;
import io.samtune.core.image.RgbImage;
import io.samtune.core.model.MaskDecoder;
import io.samtune.data.BoxPrompt;
import io.samtune.data.Sample;
import java.util.List;

/**
 * SAM's predictor: {@link #setImage} runs the image encoder once, then {@link #predict} answers
 * any number of prompts from that embedding. Results are plain Java arrays at the image's size.
 * Close it to free the embedding.
 */
public final class SamPredictor implements AutoCloseable {

    private final SamModel model;
    private final NDManager manager;
    private final NDArray densePe;
    private ImageEmbedding embedding;

    SamPredictor(SamModel model) {
        this.model = model;
        this.manager = model.manager().newSubManager();
        this.densePe = model.promptEncoder().densePe(manager);
    }

    /** Encodes an RGB image (pixels go to the model as they are). */
    public void setImage(RgbImage image) {
        replace(model.embed(image, manager));
    }

    /** Encodes a sample, windowed per slice from minimum to maximum. */
    public void setImage(Sample sample) {
        setImage(sample, IntensityWindow.minMax());
    }

    /** Encodes a sample with the given intensity window. */
    public void setImage(Sample sample, IntensityWindow window) {
        setImage(SamModel.toRgb(sample, window));
    }

    /** Uses an embedding computed earlier (e.g. from a cache); the predictor takes ownership. */
    public void setEmbedding(ImageEmbedding e) {
        e.embedding().attach(manager);
        replace(e);
    }

    private void replace(ImageEmbedding e) {
        if (embedding != null && embedding != e) {
            embedding.close();
        }
        embedding = e;
    }

    /** The current image's embedding. */
    public ImageEmbedding embedding() {
        requireImage();
        return embedding;
    }

    private void requireImage() {
        if (embedding == null) {
            throw new IllegalStateException("no image set: call setImage first");
        }
    }

    /** Predicts the single mask of one prompt. */
    public Prediction predict(Prompt prompt) {
        return predict(prompt, false);
    }

    /**
     * Predicts masks for one prompt.
     *
     * @param multimask true for three candidate masks, false for one
     */
    public Prediction predict(Prompt prompt, boolean multimask) {
        requireImage();
        return decode(List.of(prompt), multimask);
    }

    /**
     * Predicts one mask set per box, all boxes in one decoder call.
     *
     * @param boxes boxes in image pixels, at least one
     */
    public Prediction predictBoxes(List<BoxPrompt> boxes, boolean multimask) {
        requireImage();
        if (boxes.isEmpty()) {
            throw new IllegalArgumentException("give at least one box");
        }
        return decode(boxes.stream().map(Prompt::of).toList(), multimask);
    }

    /** Decodes prompts on the current image, one mask set each. */
    private Prediction decode(List<Prompt> prompts, boolean multimask) {
        try (NDManager scope = manager.newSubManager()) {
            int[] h = new int[prompts.size()];
            int[] w = new int[prompts.size()];
            java.util.Arrays.fill(h, embedding.originalHeight());
            java.util.Arrays.fill(w, embedding.originalWidth());
            MaskDecoder.Output out = PromptedDecoding.decode(model, embedding.embedding(), densePe, prompts, h, w,
                    multimask, scope);
            NDArray logits = MaskPostprocessor.upscale(out.lowResLogits(), model.config().imageSize(),
                    embedding.inputHeight(), embedding.inputWidth(), embedding.originalHeight(), embedding.originalWidth());
            long[] s = logits.getShape().getShape();
            return new Prediction((int) s[0], (int) s[1], (int) s[2], (int) s[3], floats(logits),
                    floats(out.iouPredictions()), (int) out.lowResLogits().getShape().get(2), floats(out.lowResLogits()));
        }
    }

    private static float[] floats(NDArray a) {
        return a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "SamPredictor[" + (embedding == null ? "no image" : embedding.originalHeight() + "x"
                + embedding.originalWidth() + " image") + "]";
    }
}
