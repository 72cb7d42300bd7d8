package io.samtune.data;

import java.util.Arrays;

/**
 * The intensities of a whole volume, for windowing each of its slices alike: percentiles computed
 * once per volume (the sorted copy is made on first use and shared by its slices).
 */
public final class VolumeIntensities {

    private final float[] values;
    private float[] sorted;
    private Boolean integral;

    /** Over the given values (not copied until a percentile is asked). */
    public VolumeIntensities(float[] values) {
        this.values = values;
    }

    /** Linear-interpolated percentile, as numpy's default; {@code p} in [0, 100]. */
    public synchronized double percentile(double p) {
        if (sorted == null) {
            sorted = values.clone();
            Arrays.sort(sorted);
        }
        double pos = p / 100.0 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    /** Whether every value is a whole number (as integer-typed volumes are). */
    public synchronized boolean integral() {
        if (integral == null) {
            boolean all = true;
            for (float v : values) {
                all &= v == Math.rint(v);
            }
            integral = all;
        }
        return integral;
    }
}
