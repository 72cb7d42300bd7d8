package io.samtune.data;

import java.util.BitSet;

/**
 * A binary mask kept small: the pixels of its bounding box only, one bit each. Sources keep the
 * targets of many slices this way, so that training from cached embeddings reads no image.
 */
public final class CroppedMask {

    private final int height;
    private final int width;
    private final int x0;
    private final int y0;
    private final int boxWidth;
    private final int boxHeight;
    private final BitSet bits;

    /** Crops a mask to its bounding box (nothing for an empty one). */
    public CroppedMask(BinaryMask mask) {
        height = mask.height();
        width = mask.width();
        int minX = Integer.MAX_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxX = -1;
        int maxY = -1;
        boolean[] p = mask.pixels();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (p[y * width + x]) {
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y);
                    maxY = Math.max(maxY, y);
                }
            }
        }
        if (maxX < 0) {
            x0 = 0;
            y0 = 0;
            boxWidth = 0;
            boxHeight = 0;
            bits = new BitSet();
            return;
        }
        x0 = minX;
        y0 = minY;
        boxWidth = maxX - minX + 1;
        boxHeight = maxY - minY + 1;
        bits = new BitSet(boxWidth * boxHeight);
        for (int y = 0; y < boxHeight; y++) {
            for (int x = 0; x < boxWidth; x++) {
                if (p[(y0 + y) * width + x0 + x]) {
                    bits.set(y * boxWidth + x);
                }
            }
        }
    }

    /** The whole mask again. */
    public BinaryMask expand() {
        boolean[] p = new boolean[height * width];
        for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
            p[(y0 + i / boxWidth) * width + x0 + i % boxWidth] = true;
        }
        return new BinaryMask(height, width, p);
    }
}
