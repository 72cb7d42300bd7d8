package io.samtune.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.model.MaskDecoder;
import io.samtune.core.model.PromptEncoder;
import io.samtune.data.PointPrompt;
import java.util.List;

/**
 * From prompts to masks, for prediction and training alike: a batch of prompts (one per image
 * embedding, all of one form) taken to the model's input frame, encoded by the prompt encoder, and
 * decoded with the image embeddings by the mask decoder. {@link SamPredictor} and the training task
 * both decode through here.
 */
public final class PromptedDecoding {

    private PromptedDecoding() {
    }

    /**
     * Decodes a batch.
     *
     * @param model the model whose prompt encoder and mask decoder run
     * @param embeddings (B, D, h, w), on the model's device
     * @param densePe the prompt encoder's positional encoding of the embedding grid
     * @param prompts B prompts in original image pixels, each with the same number of points, a box
     *     in all or none, and a mask input in all or none
     * @param heights the original height of each prompt's image
     * @param widths the original width of each prompt's image
     * @param multimask three masks per prompt instead of one
     * @param scope owns the prompts' arrays
     * @return the decoder's low-res logits and IoU predictions (on autograd's tape where the weights are)
     * @throws IllegalArgumentException if the prompts differ in form or a mask input has the wrong size
     */
    public static MaskDecoder.Output decode(SamModel model, NDArray embeddings, NDArray densePe, List<Prompt> prompts,
                                            int[] heights, int[] widths, boolean multimask, NDManager scope) {
        int b = prompts.size();
        Prompt first = prompts.get(0);
        int nPoints = first.points().size();
        float[] boxes = first.box() != null ? new float[b * 4] : null;
        float[] coords = nPoints > 0 ? new float[b * nPoints * 2] : null;
        float[] labels = nPoints > 0 ? new float[b * nPoints] : null;
        int side = model.config().lowResMaskSize();
        float[] masks = first.maskInput() != null ? new float[b * side * side] : null;
        for (int i = 0; i < b; i++) {
            Prompt p = prompts.get(i);
            if ((p.box() != null) != (boxes != null) || p.points().size() != nPoints
                    || (p.maskInput() != null) != (masks != null)) {
                throw new IllegalArgumentException("every prompt of a batch must have the same form: " + p + " vs " + first);
            }
            if (boxes != null) {
                System.arraycopy(model.preprocessor().toModelFrame(p.box().toArray(), heights[i], widths[i]), 0, boxes,
                        4 * i, 4);
            }
            for (int j = 0; j < nPoints; j++) {
                PointPrompt pt = p.points().get(j);
                float[] xy = model.preprocessor().toModelFrame(new double[] {pt.x(), pt.y()}, heights[i], widths[i]);
                coords[(i * nPoints + j) * 2] = xy[0];
                coords[(i * nPoints + j) * 2 + 1] = xy[1];
                labels[i * nPoints + j] = pt.label();
            }
            if (masks != null) {
                if (p.maskInput().length != side * side) {
                    throw new IllegalArgumentException("mask input must be " + side + "x" + side + " low-res logits, got "
                            + p.maskInput().length + " values");
                }
                System.arraycopy(p.maskInput(), 0, masks, i * side * side, side * side);
            }
        }
        NDArray boxArr = boxes == null ? null : onDevice(scope.create(boxes, new Shape(b, 4)), model, scope);
        NDArray coordArr = coords == null ? null : onDevice(scope.create(coords, new Shape(b, nPoints, 2)), model, scope);
        NDArray labelArr = labels == null ? null : onDevice(scope.create(labels, new Shape(b, nPoints)), model, scope);
        NDArray maskArr = masks == null ? null : onDevice(scope.create(masks, new Shape(b, 1, side, side)), model, scope);
        PromptEncoder.Embeddings pe = model.promptEncoder().forward(coordArr, labelArr, boxArr, maskArr);
        return model.maskDecoder().forward(embeddings, densePe, pe.sparse(), pe.dense(), multimask);
    }

    private static NDArray onDevice(NDArray a, SamModel model, NDManager scope) {
        NDArray d = a.toDevice(model.device(), false);
        d.attach(scope);
        return d;
    }
}
