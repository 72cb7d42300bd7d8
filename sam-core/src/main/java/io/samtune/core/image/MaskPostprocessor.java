package io.samtune.core.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SAM's {@code postprocess_masks}: low-res logits are resized to the padded model input
 * ({@code F.interpolate(bilinear, align_corners=False)}), cropped to the resized image, and resized
 * to the original image size (bilinear again, without antialiasing, as PyTorch's default).
 *
 * <p>Bilinear resizing is linear and separable, so the three steps fold into one matrix per axis:
 * {@code out = Mh x lowRes x Mw^T}. The matrices are built in float64 from PyTorch's sampling rule,
 * which keeps the result within float rounding of PyTorch's, gradients included, and costs two
 * matrix products instead of a pass over the 1024x1024 intermediate.
 */
public final class MaskPostprocessor {

    private static final Map<String, float[]> MATRICES = new ConcurrentHashMap<>();

    private MaskPostprocessor() {
    }

    /**
     * @param lowRes (B, C, h, w) logits, h = w
     * @param imageSize side of the model input
     * @param inputHeight resized image height inside the model input
     * @param inputWidth resized image width inside the model input
     * @param height original image height
     * @param width original image width
     * @return (B, C, height, width) logits, in the manager of {@code lowRes}
     */
    public static NDArray upscale(NDArray lowRes, int imageSize, int inputHeight, int inputWidth, int height, int width) {
        int low = (int) lowRes.getShape().get(2);
        NDManager m = lowRes.getManager();
        NDArray mwT = m.create(matrix(low, imageSize, inputWidth, width, true), new Shape(low, width));
        NDArray mhT = m.create(matrix(low, imageSize, inputHeight, height, true), new Shape(low, height));
        mwT = mwT.toDevice(lowRes.getDevice(), false);
        mhT = mhT.toDevice(lowRes.getDevice(), false);
        // (B, C, h, w) x (w, W) -> (B, C, h, W); transpose, x (h, H) -> (B, C, W, H); transpose back
        return lowRes.matMul(mwT).transpose(0, 1, 3, 2).matMul(mhT).transpose(0, 1, 3, 2);
    }

    /**
     * The map from {@code low} samples to {@code out}: upsample to {@code padded}, keep the first
     * {@code crop}, resize to {@code out}. Returned transposed ({@code low x out}) when asked.
     */
    static float[] matrix(int low, int padded, int crop, int out, boolean transposed) {
        String key = low + ":" + padded + ":" + crop + ":" + out + ":" + transposed;
        return MATRICES.computeIfAbsent(key, k -> {
            double[][] up = resizeMatrix(low, padded);
            double[][] down = resizeMatrix(crop, out);
            float[] r = new float[out * low];
            for (int o = 0; o < out; o++) {
                for (int l = 0; l < low; l++) {
                    double s = 0;
                    for (int c = 0; c < crop; c++) {
                        s += down[o][c] * up[c][l];
                    }
                    r[transposed ? l * out + o : o * low + l] = (float) s;
                }
            }
            return r;
        });
    }

    /**
     * PyTorch's bilinear sampling along one axis with {@code align_corners=False}: output {@code o}
     * reads input {@code src = (o + 0.5) * in / out - 0.5} (clamped at 0) from its two neighbours.
     *
     * @return {@code [out][in]} weights
     */
    static double[][] resizeMatrix(int in, int out) {
        double[][] r = new double[out][in];
        float scale = (float) in / out;
        for (int o = 0; o < out; o++) {
            float src = scale * (o + 0.5f) - 0.5f;
            if (src < 0) {
                src = 0;
            }
            int i0 = (int) src;
            int step = i0 < in - 1 ? 1 : 0;
            float lambda1 = src - i0;
            float lambda0 = 1.0f - lambda1;
            r[o][i0] += lambda0;
            r[o][i0 + step] += lambda1;
        }
        return r;
    }
}
