package io.samtune.core.image;

/**
 * Pillow's bilinear resize of 8-bit images, reproduced exactly (the filter, its support scaled for
 * downsampling, 22-bit fixed-point coefficients, a horizontal pass rounded to 8 bits, then a
 * vertical pass). SAM's {@code ResizeLongestSide.apply_image} resizes with Pillow, so matching it
 * bit for bit is what makes Java embeddings equal Python's.
 */
final class PilResize {

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResize() {
    }

    /**
     * Resizes an interleaved 8-bit image.
     *
     * @param src {@code h * w * channels} bytes, row-major, interleaved
     * @return {@code newH * newW * channels} bytes
     */
    static byte[] bilinear(byte[] src, int h, int w, int channels, int newH, int newW) {
        if (newH == h && newW == w) {
            return src.clone();
        }
        Coefficients horiz = coefficients(w, newW);
        Coefficients vert = coefficients(h, newH);
        // Pillow resamples only the rows the vertical pass reads
        int yFirst = vert.bounds[0];
        int yLast = vert.bounds[(newH - 1) * 2] + vert.bounds[(newH - 1) * 2 + 1];
        byte[] tmp;
        int tmpH;
        if (newW != w) {
            tmpH = yLast - yFirst;
            tmp = new byte[tmpH * newW * channels];
            for (int y = 0; y < tmpH; y++) {
                int srcRow = (y + yFirst) * w * channels;
                int dstRow = y * newW * channels;
                for (int x = 0; x < newW; x++) {
                    int xmin = horiz.bounds[2 * x];
                    int xmax = horiz.bounds[2 * x + 1];
                    int kOff = x * horiz.ksize;
                    for (int c = 0; c < channels; c++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        for (int k = 0; k < xmax; k++) {
                            ss += (src[srcRow + (k + xmin) * channels + c] & 0xff) * horiz.kk[kOff + k];
                        }
                        tmp[dstRow + x * channels + c] = clip8(ss);
                    }
                }
            }
        } else {
            tmp = src;
            tmpH = h;
            yFirst = 0;
        }
        if (newH == h && newW != w && yFirst == 0 && tmpH == h) {
            return tmp;
        }
        byte[] out = new byte[newH * newW * channels];
        for (int y = 0; y < newH; y++) {
            int ymin = vert.bounds[2 * y] - yFirst;
            int ymax = vert.bounds[2 * y + 1];
            int kOff = y * vert.ksize;
            for (int x = 0; x < newW; x++) {
                for (int c = 0; c < channels; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int k = 0; k < ymax; k++) {
                        ss += (tmp[((k + ymin) * newW + x) * channels + c] & 0xff) * vert.kk[kOff + k];
                    }
                    out[(y * newW + x) * channels + c] = clip8(ss);
                }
            }
        }
        return out;
    }

    private static byte clip8(int v) {
        if (v >= (1 << PRECISION_BITS) << 8) {
            return (byte) 255;
        }
        if (v <= 0) {
            return 0;
        }
        return (byte) (v >> PRECISION_BITS);
    }

    private record Coefficients(int ksize, int[] bounds, int[] kk) {
    }

    /** Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for the bilinear filter. */
    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterScale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double w = triangle((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < ksize; x++) {
                double v = x < xmax ? (ww != 0.0 ? k[x] / ww : k[x]) : 0.0;
                kk[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, kk);
    }

    private static double triangle(double x) {
        double a = Math.abs(x);
        return a < 1.0 ? 1.0 - a : 0.0;
    }
}
