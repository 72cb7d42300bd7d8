package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prompt;
import io.samtune.core.PromptedDecoding;
import io.samtune.core.SamModel;
import io.samtune.core.image.MaskPostprocessor;
import io.samtune.core.model.MaskDecoder;
import io.samtune.data.BinaryMask;
import java.util.ArrayList;
import java.util.List;

/**
 * SAM's fine-tuning task: each example's cached input through the trained part (the adapted encoder
 * blocks and the neck when the model has adapters), its prompt through the prompt encoder and, with
 * the embedding, the mask decoder (one mask per prompt), then the soft Dice (optionally plus BCE)
 * against the example's mask at its original size, or on the low-res grid ({@code lowResLoss}).
 */
public final class PromptedSegmentation implements TrainingTask {

    private final OptimizationConfig.Loss loss;
    private final boolean lowResLoss;

    /** The task of these optimisation settings (their loss and whether it is taken at low resolution). */
    public PromptedSegmentation(OptimizationConfig settings) {
        this.loss = settings.loss();
        this.lowResLoss = settings.lowResLoss();
    }

    @Override
    public NDArray loss(List<TrainingExample> batch, SamModel model, NDArray densePe, NDManager scope) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int b = batch.size();
        NDList inputs = new NDList();
        List<Prompt> prompts = new ArrayList<>();
        int[] heights = new int[b];
        int[] widths = new int[b];
        for (int i = 0; i < b; i++) {
            TrainingExample ex = batch.get(i);
            inputs.add(ex.embedding().embedding());
            prompts.add(ex.prompt());
            heights[i] = ex.embedding().originalHeight();
            widths[i] = ex.embedding().originalWidth();
            if (ex.prompt().maskInput() != null) {
                throw new IllegalArgumentException(ex.name() + ": training prompts take no mask input");
            }
        }
        NDArray emb = b == 1 ? inputs.get(0) : NDArrays.concat(inputs, 0);
        emb = emb.toDevice(model.device(), false);
        emb.attach(scope);
        if (model.adapters() != null) {
            // the examples hold the tokens entering the first adapted block: the adapted blocks and the neck run here
            emb = model.imageEncoder().trainFrom(emb, model.firstAdaptedBlock());
        }
        MaskDecoder.Output out = PromptedDecoding.decode(model, emb, densePe, prompts, heights, widths, false, scope);
        NDArray lowRes = out.lowResLogits();
        NDList losses = new NDList();
        for (int i = 0; i < b; i++) {
            TrainingExample ex = batch.get(i);
            ImageEmbedding e = ex.embedding();
            NDArray logits = lowRes.get(new NDIndex("{}:{}", i, i + 1));
            NDArray target;
            if (lowResLoss) {
                int side = (int) lowRes.getShape().get(2);
                target = scope.create(lowResTarget(ex.mask(), e, model.config().imageSize(), side),
                        new Shape(1, 1, side, side));
            } else {
                logits = MaskPostprocessor.upscale(logits, model.config().imageSize(), e.inputHeight(), e.inputWidth(),
                        e.originalHeight(), e.originalWidth());
                target = scope.create(toFloats(ex.mask()), new Shape(1, 1, ex.mask().height(), ex.mask().width()));
            }
            target = target.toDevice(model.device(), false);
            NDArray l = DiceLoss.softDice(logits, target);
            if (loss == OptimizationConfig.Loss.DICE_BCE) {
                l = l.add(DiceLoss.bceWithLogits(logits, target));
            }
            losses.add(l.reshape(1));
        }
        // NDArrays.concat copies a single array detached from the graph: only concatenate several
        return losses.size() == 1 ? losses.get(0).mean() : NDArrays.concat(losses, 0).mean();
    }

    private static float[] toFloats(BinaryMask m) {
        boolean[] p = m.pixels();
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            f[i] = p[i] ? 1f : 0f;
        }
        return f;
    }

    /**
     * The mask as seen on the low-res logit grid: each low-res pixel covers a square of the padded
     * model input; it takes the mask value under that square's centre (0 in the padding).
     */
    static float[] lowResTarget(BinaryMask mask, ImageEmbedding e, int imageSize, int side) {
        float[] t = new float[side * side];
        double cell = (double) imageSize / side;
        for (int v = 0; v < side; v++) {
            double yIn = (v + 0.5) * cell;
            if (yIn >= e.inputHeight()) {
                continue;
            }
            int y = Math.min(mask.height() - 1, (int) (yIn * mask.height() / e.inputHeight()));
            for (int u = 0; u < side; u++) {
                double xIn = (u + 0.5) * cell;
                if (xIn >= e.inputWidth()) {
                    continue;
                }
                int x = Math.min(mask.width() - 1, (int) (xIn * mask.width() / e.inputWidth()));
                t[v * side + u] = mask.pixels()[y * mask.width() + x] ? 1f : 0f;
            }
        }
        return t;
    }

    @Override
    public String toString() {
        return "PromptedSegmentation[" + loss.label() + (lowResLoss ? ", low-res" : "") + "]";
    }
}
