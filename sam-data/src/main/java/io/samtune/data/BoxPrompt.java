package io.samtune.data;

import java.util.Locale;
import java.util.Random;

/**
 * A box prompt in image pixels: {@code (x0, y0)} top-left and {@code (x1, y1)} bottom-right, both
 * inclusive, 0-based, {@code x} = column, {@code y} = row. This is the {@code x0,y0,x1,y1} box SAM
 * takes.
 *
 * @param x0 left column
 * @param y0 top row
 * @param x1 right column, {@code >= x0}
 * @param y1 bottom row, {@code >= y0}
 */
public record BoxPrompt(double x0, double y0, double x1, double y1) {

    /** Validates that the coordinates are finite and ordered. */
    public BoxPrompt {
        if (!Double.isFinite(x0) || !Double.isFinite(y0) || !Double.isFinite(x1) || !Double.isFinite(y1)) {
            throw new IllegalArgumentException("box coordinates must be finite: " + format(x0, y0, x1, y1));
        }
        if (x1 < x0 || y1 < y0) {
            throw new IllegalArgumentException("box must have x0 <= x1 and y0 <= y1: " + format(x0, y0, x1, y1));
        }
    }

    /**
     * The tight box around a mask's set pixels (inclusive pixel extremes).
     *
     * @throws IllegalArgumentException if the mask is empty
     */
    public static BoxPrompt fromMask(BinaryMask mask) {
        int w = mask.width();
        int h = mask.height();
        boolean[] p = mask.pixels();
        int minX = w;
        int minY = h;
        int maxX = -1;
        int maxY = -1;
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int x = 0; x < w; x++) {
                if (p[row + x]) {
                    if (x < minX) {
                        minX = x;
                    }
                    if (x > maxX) {
                        maxX = x;
                    }
                    if (y < minY) {
                        minY = y;
                    }
                    maxY = y;
                }
            }
        }
        if (maxX < 0) {
            throw new IllegalArgumentException("cannot make a box from an empty mask");
        }
        return new BoxPrompt(minX, minY, maxX, maxY);
    }

    /**
     * The box around the vertices of a tumour border polygon.
     *
     * @param border 0-based vertices {@code [x1, y1, x2, y2, ...]}, at least one vertex
     */
    public static BoxPrompt fromBorder(double[] border) {
        if (border.length < 2 || border.length % 2 != 0) {
            throw new IllegalArgumentException("border needs pairs of x, y values, got " + border.length + " values");
        }
        double minX = Double.POSITIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < border.length; i += 2) {
            minX = Math.min(minX, border[i]);
            maxX = Math.max(maxX, border[i]);
            minY = Math.min(minY, border[i + 1]);
            maxY = Math.max(maxY, border[i + 1]);
        }
        return new BoxPrompt(minX, minY, maxX, maxY);
    }

    /**
     * This box with each side moved independently by a whole number of pixels in
     * {@code [-maxShift, maxShift]}, clipped to the image, keeping {@code x0 <= x1} and
     * {@code y0 <= y1}. Used to make training robust to imprecise boxes.
     *
     * @param maxShift largest move of one side, in pixels ({@code 0} returns this box)
     * @param rng source of randomness; seed it for reproducible runs
     * @param width image width, for clipping
     * @param height image height, for clipping
     */
    public BoxPrompt jitter(int maxShift, Random rng, int width, int height) {
        if (maxShift < 0) {
            throw new IllegalArgumentException("maxShift must be >= 0, got " + maxShift);
        }
        if (maxShift == 0) {
            return this;
        }
        double nx0 = clip(x0 + shift(maxShift, rng), width - 1);
        double ny0 = clip(y0 + shift(maxShift, rng), height - 1);
        double nx1 = clip(x1 + shift(maxShift, rng), width - 1);
        double ny1 = clip(y1 + shift(maxShift, rng), height - 1);
        return new BoxPrompt(Math.min(nx0, nx1), Math.min(ny0, ny1), Math.max(nx0, nx1), Math.max(ny0, ny1));
    }

    private static int shift(int maxShift, Random rng) {
        return rng.nextInt(2 * maxShift + 1) - maxShift;
    }

    private static double clip(double v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    /** The box as {@code [x0, y0, x1, y1]}. */
    public double[] toArray() {
        return new double[] {x0, y0, x1, y1};
    }

    /** Box width in pixels, counting both end columns. */
    public double width() {
        return x1 - x0 + 1;
    }

    /** Box height in pixels, counting both end rows. */
    public double height() {
        return y1 - y0 + 1;
    }

    @Override
    public String toString() {
        return "BoxPrompt[" + corners() + "]";
    }

    /** The corners as {@code (x0, y0)-(x1, y1)}. */
    public String corners() {
        return format(x0, y0, x1, y1);
    }

    private static String format(double x0, double y0, double x1, double y1) {
        return "(" + num(x0) + ", " + num(y0) + ")-(" + num(x1) + ", " + num(y1) + ")";
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
