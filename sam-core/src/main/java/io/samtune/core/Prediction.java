package io.samtune.core;

import io.samtune.data.BinaryMask;
import java.util.Arrays;
import java.util.Locale;

/**
 * The result of a prediction for B prompts with C masks each (C = 3 in multimask mode, else 1), as
 * Java arrays (nothing to close).
 *
 * @param batch B, number of prompts
 * @param channels C, masks per prompt
 * @param height original image rows
 * @param width original image columns
 * @param maskLogits (B, C, height, width) logits, row-major; the mask is {@code logit > 0}
 * @param iouPredictions (B, C) predicted IoU of each mask
 * @param lowResSize side of the low-res logits
 * @param lowResLogits (B, C, lowResSize, lowResSize), usable as a mask input of a later prompt
 */
public record Prediction(int batch, int channels, int height, int width, float[] maskLogits, float[] iouPredictions,
                         int lowResSize, float[] lowResLogits) {

    /** Validates array lengths. */
    public Prediction {
        if (maskLogits.length != (long) batch * channels * height * width
                || iouPredictions.length != batch * channels
                || lowResLogits.length != (long) batch * channels * lowResSize * lowResSize) {
            throw new IllegalArgumentException("array lengths do not match (" + batch + ", " + channels + ", " + height
                    + ", " + width + ")");
        }
    }

    /** The logits of mask {@code c} of prompt {@code b}, {@code height * width} values. */
    public float[] maskLogits(int b, int c) {
        int n = height * width;
        int from = (b * channels + c) * n;
        return Arrays.copyOfRange(maskLogits, from, from + n);
    }

    /** Mask {@code c} of prompt {@code b}: logits above 0. */
    public BinaryMask mask(int b, int c) {
        int n = height * width;
        int from = (b * channels + c) * n;
        boolean[] px = new boolean[n];
        for (int i = 0; i < n; i++) {
            px[i] = maskLogits[from + i] > 0;
        }
        return new BinaryMask(height, width, px);
    }

    /** The first prompt's first mask: the single-mask answer. */
    public BinaryMask mask() {
        return mask(0, 0);
    }

    /** The predicted IoU of mask {@code c} of prompt {@code b}. */
    public float iou(int b, int c) {
        return iouPredictions[b * channels + c];
    }

    /** The index of prompt {@code b}'s mask with the highest predicted IoU. */
    public int bestChannel(int b) {
        int best = 0;
        for (int c = 1; c < channels; c++) {
            if (iou(b, c) > iou(b, best)) {
                best = c;
            }
        }
        return best;
    }

    /** The low-res logits of mask {@code c} of prompt {@code b}, {@code lowResSize^2} values. */
    public float[] lowResLogits(int b, int c) {
        int n = lowResSize * lowResSize;
        int from = (b * channels + c) * n;
        return Arrays.copyOfRange(lowResLogits, from, from + n);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < Math.min(batch, 4); b++) {
            for (int c = 0; c < channels; c++) {
                sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", iou(b, c)));
            }
        }
        return "Prediction[" + batch + " prompt(s) x " + channels + " mask(s), " + height + "x" + width
                + ", predicted IoU " + sb + (batch > 4 ? ", ..." : "") + ", mask area " + mask(0, bestChannel(0)).area()
                + "]";
    }
}
