package io.samtune.train;

import ai.djl.ndarray.NDArray;
import io.samtune.core.model.Layers;
import ai.djl.nn.Activation;

/**
 * The losses of decoder fine-tuning, on logits and a 0/1 target of the same shape.
 */
public final class DiceLoss {

    /**
     * Smoothing term of the soft Dice, as in the reference training. A float: a double scalar would
     * promote the 0-dimensional sums to float64, which PyTorch's Python scalars do not.
     */
    public static final float SMOOTH = 1e-5f;

    private DiceLoss() {
    }

    /**
     * Soft Dice loss of one sample: {@code 1 - (2 * sum(p * g) + 1e-5) / (sum(p) + sum(g) + 1e-5)}
     * with {@code p = sigmoid(logits)}.
     *
     * @return a scalar
     */
    public static NDArray softDice(NDArray logits, NDArray target) {
        NDArray p = Activation.sigmoid(logits);
        NDArray inter = p.mul(target).sum().mul(Layers.scalar(p, 2)).add(Layers.scalar(p, SMOOTH));
        NDArray denom = p.sum().add(target.sum()).add(Layers.scalar(p, SMOOTH));
        return inter.div(denom).neg().add(Layers.scalar(p, 1));
    }

    /**
     * Binary cross-entropy on logits, mean over pixels, in the numerically stable form
     * {@code max(z, 0) - z * g + log(1 + exp(-|z|))}.
     *
     * @return a scalar
     */
    public static NDArray bceWithLogits(NDArray logits, NDArray target) {
        NDArray relu = Activation.relu(logits);
        NDArray softplus = logits.abs().neg().exp().add(Layers.scalar(logits, 1)).log();
        return relu.sub(logits.mul(target)).add(softplus).mean();
    }
}
