package io.samtune.data;

/** Small masks drawn in text, for the tests of every module. */
public final class Masks {

    private Masks() {
    }

    /** A mask from rows of '#' (set) and '.' (unset). */
    public static BinaryMask of(String... rows) {
        int h = rows.length;
        int w = rows[0].length();
        boolean[] p = new boolean[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                p[y * w + x] = rows[y].charAt(x) == '#';
            }
        }
        return new BinaryMask(h, w, p);
    }
}
