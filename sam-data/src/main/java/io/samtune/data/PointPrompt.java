package io.samtune.data;

/**
 * A point prompt in image pixels: 0-based, {@code x} = column, {@code y} = row; a foreground point
 * (SAM label 1) marks the object, a background point (label 0) marks what is not.
 *
 * @param x column
 * @param y row
 * @param foreground true for a foreground (label 1) point, false for background (label 0)
 */
public record PointPrompt(double x, double y, boolean foreground) {

    /** Validates that the coordinates are finite. */
    public PointPrompt {
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
            throw new IllegalArgumentException("point coordinates must be finite: (" + x + ", " + y + ")");
        }
    }

    /** A foreground point. */
    public static PointPrompt foreground(double x, double y) {
        return new PointPrompt(x, y, true);
    }

    /** SAM's point label: 1 for foreground, 0 for background. */
    public int label() {
        return foreground ? 1 : 0;
    }

    /**
     * The mask's centroid (mean set-pixel coordinate), as a foreground point. For a ring-shaped
     * tumour it may lie outside the mask; see {@link #interior(BinaryMask)}.
     *
     * @throws IllegalArgumentException if the mask is empty
     */
    public static PointPrompt centroid(BinaryMask mask) {
        int w = mask.width();
        boolean[] p = mask.pixels();
        long n = 0;
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i]) {
                n++;
                sx += i % w;
                sy += i / w;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("cannot take the centroid of an empty mask");
        }
        return new PointPrompt(sx / n, sy / n, true);
    }

    /**
     * A foreground point guaranteed to lie on a set pixel of the mask: the centroid when its nearest
     * pixel is set, otherwise the set pixel farthest from the mask's edge (ties broken by distance to
     * the centroid, then by row-major order).
     *
     * @throws IllegalArgumentException if the mask is empty
     */
    public static PointPrompt interior(BinaryMask mask) {
        PointPrompt c = centroid(mask);
        int w = mask.width();
        int h = mask.height();
        int cx = (int) Math.round(c.x);
        int cy = (int) Math.round(c.y);
        if (cx < w && cy < h && mask.pixels()[cy * w + cx]) {
            return c;
        }
        int[] depth = chamferDepth(mask);
        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int i = 0; i < depth.length; i++) {
            if (depth[i] == 0) {
                continue;
            }
            double dx = i % w - c.x;
            double dy = i / w - c.y;
            double d2 = dx * dx + dy * dy;
            if (best < 0 || depth[i] > depth[best] || (depth[i] == depth[best] && d2 < bestDist)) {
                best = i;
                bestDist = d2;
            }
        }
        return new PointPrompt(best % w, best / w, true);
    }

    /** City-block distance of each set pixel to the nearest unset pixel or image edge; 0 outside. */
    private static int[] chamferDepth(BinaryMask mask) {
        int w = mask.width();
        int h = mask.height();
        boolean[] p = mask.pixels();
        int[] d = new int[p.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (!p[i]) {
                    continue;
                }
                int up = y > 0 ? d[i - w] : 0;
                int left = x > 0 ? d[i - 1] : 0;
                d[i] = Math.min(up, left) + 1;
            }
        }
        for (int y = h - 1; y >= 0; y--) {
            for (int x = w - 1; x >= 0; x--) {
                int i = y * w + x;
                if (d[i] == 0) {
                    continue;
                }
                int down = y < h - 1 ? d[i + w] : 0;
                int right = x < w - 1 ? d[i + 1] : 0;
                d[i] = Math.min(d[i], Math.min(down, right) + 1);
            }
        }
        return d;
    }

    @Override
    public String toString() {
        return "PointPrompt[(" + BoxPrompt.num(x) + ", " + BoxPrompt.num(y) + "), "
                + (foreground ? "foreground" : "background") + "]";
    }
}
