package io.samtune.data;

import java.util.Objects;

/**
 * A binary image, such as a tumour mask or a predicted segmentation, stored row-major:
 * {@code pixels[y * width + x]}.
 *
 * <p>The array is shared, not copied: treat it as read-only.
 *
 * @param height number of rows
 * @param width number of columns
 * @param pixels {@code height * width} values, row-major
 */
public record BinaryMask(int height, int width, boolean[] pixels) {

    /** Validates the shape. */
    public BinaryMask {
        Objects.requireNonNull(pixels, "pixels");
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("mask size must be positive, got " + height + "x" + width);
        }
        if (pixels.length != (long) height * width) {
            throw new IllegalArgumentException("mask of " + height + "x" + width + " needs "
                    + (long) height * width + " pixels, got " + pixels.length);
        }
    }

    /** An all-false mask of the given size. */
    public static BinaryMask empty(int height, int width) {
        return new BinaryMask(height, width, new boolean[height * width]);
    }

    /** The pixel at column {@code x}, row {@code y} (0-based). */
    public boolean get(int x, int y) {
        if (x < 0 || y < 0 || x >= width || y >= height) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ") is outside " + height + "x" + width);
        }
        return pixels[y * width + x];
    }

    /** Number of true pixels. */
    public int area() {
        int n = 0;
        for (boolean p : pixels) {
            if (p) {
                n++;
            }
        }
        return n;
    }

    /** True when no pixel is set. */
    public boolean isEmpty() {
        for (boolean p : pixels) {
            if (p) {
                return false;
            }
        }
        return true;
    }

    /** Number of pixels set in both masks. */
    public int intersection(BinaryMask other) {
        requireSameSize(other);
        int n = 0;
        for (int i = 0; i < pixels.length; i++) {
            if (pixels[i] && other.pixels[i]) {
                n++;
            }
        }
        return n;
    }

    /**
     * Dice overlap with a reference mask: {@code 2|A and B| / (|A| + |B|)}; 1 when both are empty.
     */
    public double dice(BinaryMask reference) {
        int inter = intersection(reference);
        int sum = area() + reference.area();
        return sum == 0 ? 1.0 : 2.0 * inter / sum;
    }

    /** Intersection over union with a reference mask; 1 when both are empty. */
    public double iou(BinaryMask reference) {
        int inter = intersection(reference);
        int union = area() + reference.area() - inter;
        return union == 0 ? 1.0 : (double) inter / union;
    }

    private void requireSameSize(BinaryMask other) {
        if (other.height != height || other.width != width) {
            throw new IllegalArgumentException("masks differ in size: " + height + "x" + width
                    + " vs " + other.height + "x" + other.width);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BinaryMask m && m.height == height && m.width == width
                && java.util.Arrays.equals(m.pixels, pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * height + width) + java.util.Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "BinaryMask[" + height + "x" + width + ", area=" + area() + "]";
    }
}
