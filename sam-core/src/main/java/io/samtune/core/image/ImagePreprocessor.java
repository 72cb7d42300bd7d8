package io.samtune.core.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * SAM's input pipeline: ResizeLongestSide to the model's image size (Pillow's bilinear filter,
 * exactly), normalisation with SAM's pixel mean and std, zero padding at the bottom and right.
 * Points and boxes are scaled the same way. Stateless.
 *
 * @param imageSize side of the square model input (1024 for the official models)
 */
public record ImagePreprocessor(int imageSize) {

    /** SAM's pixel mean, RGB. */
    static final float[] PIXEL_MEAN = {123.675f, 116.28f, 103.53f};
    /** SAM's pixel standard deviation, RGB. */
    static final float[] PIXEL_STD = {58.395f, 57.12f, 57.375f};

    /** Validates the size. */
    public ImagePreprocessor {
        if (imageSize <= 0) {
            throw new IllegalArgumentException("imageSize must be positive, got " + imageSize);
        }
    }

    /**
     * The size an image of {@code h x w} takes inside the model input: the longest side becomes
     * {@code imageSize}, the other keeps the aspect ratio ({@code int(side * scale + 0.5)}).
     *
     * @return {@code {newH, newW}}
     */
    public int[] resizedSize(int h, int w) {
        double scale = (double) imageSize / Math.max(h, w);
        return new int[] {(int) (h * scale + 0.5), (int) (w * scale + 0.5)};
    }

    /** The image resized as SAM does, before normalisation. */
    public RgbImage resize(RgbImage image) {
        int[] size = resizedSize(image.height(), image.width());
        return new RgbImage(size[0], size[1], PilResize.bilinear(image.rgb(), image.height(), image.width(), 3, size[0],
                size[1]));
    }

    /** A prepared model input and the sizes needed to map results back. */
    public record ModelInput(NDArray pixels, int inputHeight, int inputWidth, int originalHeight, int originalWidth) {
    }

    /**
     * Resizes, normalises and pads an image.
     *
     * @return pixels (1, 3, S, S) in {@code manager}
     */
    public ModelInput prepare(RgbImage image, NDManager manager) {
        RgbImage resized = resize(image);
        int h = resized.height();
        int w = resized.width();
        int s = imageSize;
        float[] data = new float[3 * s * s];
        byte[] rgb = resized.rgb();
        for (int c = 0; c < 3; c++) {
            int plane = c * s * s;
            float mean = PIXEL_MEAN[c];
            float std = PIXEL_STD[c];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    // (x - mean) / std in float32, as SAM computes it
                    data[plane + y * s + x] = ((float) (rgb[(y * w + x) * 3 + c] & 0xff) - mean) / std;
                }
            }
        }
        NDArray pixels = manager.create(data, new Shape(1, 3, s, s));
        return new ModelInput(pixels, h, w, image.height(), image.width());
    }

    /**
     * Scales x, y coordinates from an image of {@code h x w} to the model input:
     * {@code x * newW / w}, {@code y * newH / h}.
     *
     * @param xy interleaved {@code [x0, y0, x1, y1, ...]}
     * @return a new array in the model-input frame
     */
    public float[] toModelFrame(double[] xy, int h, int w) {
        int[] size = resizedSize(h, w);
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            // numpy float64, then to float32 as torch.as_tensor(..., dtype=torch.float) does
            out[i] = (float) (xy[i] * ((double) size[1] / w));
            out[i + 1] = (float) (xy[i + 1] * ((double) size[0] / h));
        }
        return out;
    }
}
