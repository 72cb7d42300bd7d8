package io.samtune.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/**
 * The layers SAM is built from, as functions. Activations always come first in an operation so that
 * results live in the activation's (per-call) manager, never in the model's.
 */
public final class Layers {

    private Layers() {
    }

    /**
     * A float32 scalar in {@code like}'s manager, alive until that manager closes. DJL's
     * {@code mul(Number)} / {@code div(Number)} close their scalar right after the operation, but
     * autograd keeps it for the backward pass, which then reads freed memory: every scalar on a
     * trainable path must come from here.
     */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().create((float) value).toDevice(like.getDevice(), false);
    }

    /** {@code x @ w^T + b} over the last axis; {@code w} is (out, in). */
    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return Linear.linear(x, w, b).singletonOrThrow();
    }

    /** LayerNorm over the last axis. */
    static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, double eps) {
        return LayerNorm.layerNorm(x, new Shape(x.getShape().getLastDimension()), gamma, beta, (float) eps).singletonOrThrow();
    }

    /** SAM's LayerNorm2d: normalises (B, C, H, W) over C, as the PyTorch code writes it. */
    static NDArray layerNorm2d(NDArray x, NDArray gamma, NDArray beta, double eps) {
        NDArray u = x.mean(new int[] {1}, true);
        NDArray centred = x.sub(u);
        NDArray s = centred.square().mean(new int[] {1}, true);
        NDArray normed = centred.div(s.add(eps).sqrt());
        // scale and shift channels-last, so the weights broadcast without a reshaped copy of them
        return normed.transpose(0, 2, 3, 1).mul(gamma).add(beta).transpose(0, 3, 1, 2);
    }

    /**
     * Moves an array derived from a weight (a reshape, a concatenation) into the manager of the
     * activation it will meet, so it is freed with the step instead of piling up in the model.
     */
    static NDArray local(NDArray activation, NDArray derived) {
        derived.attach(activation.getManager());
        return derived;
    }

    /** Exact (erf) GELU, as {@code nn.GELU()}. */
    static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /** A 2-D convolution; {@code bias} may be null. */
    static NDArray conv2d(NDArray x, NDArray w, NDArray b, int stride, int padding) {
        return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /**
     * {@code nn.ConvTranspose2d(kernel_size=2, stride=2)}: every input pixel becomes a 2x2 output
     * block, {@code out[b, o, 2h+i, 2w+j] = sum_c x[b, c, h, w] * w[c, o, i, j] + bias[o]}, written
     * exactly as one matrix product and a reshape.
     *
     * @param x (B, Cin, H, W)
     * @param w (Cin, Cout, 2, 2), PyTorch's layout
     * @param bias (Cout)
     * @return (B, Cout, 2H, 2W)
     */
    static NDArray convTranspose2x2(NDArray x, NDArray w, NDArray bias) {
        long[] s = x.getShape().getShape();
        long b = s[0];
        long cin = s[1];
        long h = s[2];
        long wd = s[3];
        long cout = w.getShape().get(1);
        NDArray y = x.transpose(0, 2, 3, 1).reshape(b * h * wd, cin).matMul(local(x, w.reshape(cin, cout * 4)));
        // (b, h, w, cout, i, j) -> (b, h, i, w, j, cout): add the bias on the last axis, then channels first
        y = y.reshape(b, h, wd, cout, 2, 2).transpose(0, 1, 4, 2, 5, 3).add(bias);
        return y.transpose(0, 5, 1, 2, 3, 4).reshape(b, cout, 2 * h, 2 * wd);
    }

    /**
     * Concatenates along an axis. One array is returned as it is: {@code NDArrays.concat} would
     * return a copy cut off from autograd.
     */
    static NDArray concat(int axis, NDArray... arrays) {
        return arrays.length == 1 ? arrays[0] : NDArrays.concat(new NDList(arrays), axis);
    }
}
