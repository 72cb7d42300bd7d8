package io.samtune.eval;

import io.samtune.data.BinaryMask;
import java.util.Arrays;

/**
 * Boundary distances between two masks of the same size, in pixels: the 95th-percentile Hausdorff
 * distance (HD95) as MONAI computes it, the larger of the two directed 95th percentiles of the
 * distances from each boundary pixel of one mask to the nearest boundary pixel of the other.
 */
public final class SurfaceDistance {

    private SurfaceDistance() {
    }

    /**
     * HD95 between a prediction and the truth, pixels; NaN when either mask is empty (undefined).
     *
     * @throws IllegalArgumentException if the sizes differ
     */
    public static double hd95(BinaryMask predicted, BinaryMask truth) {
        if (predicted.height() != truth.height() || predicted.width() != truth.width()) {
            throw new IllegalArgumentException("masks of different sizes: " + predicted.height() + "x" + predicted.width()
                    + " and " + truth.height() + "x" + truth.width());
        }
        int[] a = boundary(predicted);
        int[] b = boundary(truth);
        if (a.length == 0 || b.length == 0) {
            return Double.NaN;
        }
        return Math.max(percentile95(directed(a, b, predicted.width())), percentile95(directed(b, a, truth.width())));
    }

    /** The boundary pixels (set, with a 4-neighbour unset or outside), as {@code y * width + x}. */
    static int[] boundary(BinaryMask m) {
        int h = m.height();
        int w = m.width();
        boolean[] p = m.pixels();
        int[] out = new int[p.length];
        int n = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (p[i] && (x == 0 || y == 0 || x == w - 1 || y == h - 1 || !p[i - 1] || !p[i + 1] || !p[i - w]
                        || !p[i + w])) {
                    out[n++] = i;
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** For each pixel of {@code from}, the distance to the nearest pixel of {@code to}. */
    private static double[] directed(int[] from, int[] to, int w) {
        double[] d = new double[from.length];
        for (int i = 0; i < from.length; i++) {
            int fx = from[i] % w;
            int fy = from[i] / w;
            long best = Long.MAX_VALUE;
            for (int t : to) {
                long dx = t % w - fx;
                long dy = t / w - fy;
                best = Math.min(best, dx * dx + dy * dy);
            }
            d[i] = Math.sqrt(best);
        }
        return d;
    }

    /** The 95th percentile, linear between the closest ranks (numpy's default). */
    private static double percentile95(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = 0.95 * (s.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, s.length - 1);
        return s[i] + (pos - i) * (s[j] - s[i]);
    }
}
