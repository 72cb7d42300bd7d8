package io.samtune.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.image.IntensityWindow;
import io.samtune.core.image.MaskPostprocessor;
import io.samtune.core.image.RgbImage;
import io.samtune.core.model.MaskDecoder;
import io.samtune.core.model.PromptEncoder;
import io.samtune.data.BoxPrompt;
import io.samtune.data.Sample;
import io.samtune.data.PointPrompt;
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
        try (NDManager scope = manager.newSubManager()) {
            int h = embedding.originalHeight();
            int w = embedding.originalWidth();
            NDArray coords = null;
            NDArray labels = null;
            if (!prompt.points().isEmpty()) {
                List<PointPrompt> pts = prompt.points();
                double[] xy = new double[pts.size() * 2];
                float[] lab = new float[pts.size()];
                for (int i = 0; i < pts.size(); i++) {
                    xy[2 * i] = pts.get(i).x();
                    xy[2 * i + 1] = pts.get(i).y();
                    lab[i] = pts.get(i).label();
                }
                coords = scope.create(model.preprocessor().toModelFrame(xy, h, w), new Shape(1, pts.size(), 2));
                labels = scope.create(lab, new Shape(1, pts.size()));
            }
            NDArray boxes = prompt.box() == null ? null
                    : scope.create(model.preprocessor().toModelFrame(prompt.box().toArray(), h, w), new Shape(1, 4));
            NDArray mask = null;
            if (prompt.maskInput() != null) {
                int side = model.config().lowResMaskSize();
                if (prompt.maskInput().length != side * side) {
                    throw new IllegalArgumentException("mask input must be " + side + "x" + side + " low-res logits, got "
                            + prompt.maskInput().length + " values");
                }
                mask = scope.create(prompt.maskInput(), new Shape(1, 1, side, side));
            }
            return decode(scope, coords, labels, boxes, mask, multimask);
        }
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
        try (NDManager scope = manager.newSubManager()) {
            double[] xy = new double[boxes.size() * 4];
            for (int i = 0; i < boxes.size(); i++) {
                System.arraycopy(boxes.get(i).toArray(), 0, xy, 4 * i, 4);
            }
            float[] t = model.preprocessor().toModelFrame(xy, embedding.originalHeight(), embedding.originalWidth());
            return decode(scope, null, null, scope.create(t, new Shape(boxes.size(), 4)), null, multimask);
        }
    }

    private Prediction decode(NDManager scope, NDArray coords, NDArray labels, NDArray boxes, NDArray mask,
                              boolean multimask) {
        PromptEncoder.Embeddings pe = model.promptEncoder().forward(coords, labels, boxes, mask);
        MaskDecoder.Output out = model.maskDecoder().forward(embedding.embedding(), densePe, pe.sparse(), pe.dense(),
                multimask);
        NDArray logits = MaskPostprocessor.upscale(out.lowResLogits(), model.config().imageSize(),
                embedding.inputHeight(), embedding.inputWidth(), embedding.originalHeight(), embedding.originalWidth());
        long[] s = logits.getShape().getShape();
        return new Prediction((int) s[0], (int) s[1], (int) s[2], (int) s[3], floats(logits),
                floats(out.iouPredictions()), (int) out.lowResLogits().getShape().get(2), floats(out.lowResLogits()));
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
