package io.samtune.core.image;

import io.samtune.data.Sample;
import io.samtune.data.VolumeIntensities;
import java.util.Arrays;
import java.util.Locale;

/**
 * How MRI intensities become 8-bit gray: values between {@code low} and {@code high} map linearly
 * to 0..255 ({@code round((v - low) * 255 / (high - low))}), values outside are clipped. The bounds
 * are per slice by default (its minimum and maximum, or percentiles to ignore outliers), or per
 * volume for slices cut from one ({@code volume}, {@code volume:LOW,HIGH}), so that every slice of
 * a case is windowed alike. For images of whole numbers (int16 and the like) percentile bounds are
 * rounded outwards to whole numbers.
 *
 * @param lowPercentile lower bound's percentile in [0, 100); 0 is the minimum
 * @param highPercentile upper bound's percentile in (0, 100]; 100 is the maximum
 * @param perVolume whether the bounds come from the whole volume a slice was cut from (2D files use
 *     their own slice)
 */
public record IntensityWindow(double lowPercentile, double highPercentile, boolean perVolume) {

    /** Validates the range. */
    public IntensityWindow {
        if (!(lowPercentile >= 0 && lowPercentile < highPercentile && highPercentile <= 100)) {
            throw new IllegalArgumentException("percentiles must satisfy 0 <= low < high <= 100, got " + lowPercentile
                    + " and " + highPercentile);
        }
    }

    /** A per-slice window. */
    public IntensityWindow(double lowPercentile, double highPercentile) {
        this(lowPercentile, highPercentile, false);
    }

    /** Per-slice minimum to maximum (the default). */
    public static IntensityWindow minMax() {
        return new IntensityWindow(0, 100);
    }

    /** Percentile clipping, e.g. {@code percentiles(0.5, 99.5)}. */
    public static IntensityWindow percentiles(double low, double high) {
        return new IntensityWindow(low, high);
    }

    /**
     * Parses {@code minmax} or {@code LOW,HIGH} percentiles such as {@code 0.5,99.5} (per slice), or
     * {@code volume} or {@code volume:LOW,HIGH} (per volume).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static IntensityWindow parse(String s) {
        if (s.equalsIgnoreCase("minmax")) {
            return minMax();
        }
        if (s.equalsIgnoreCase("volume")) {
            return new IntensityWindow(0, 100, true);
        }
        if (s.toLowerCase(java.util.Locale.ROOT).startsWith("volume:")) {
            IntensityWindow w = parse(s.substring("volume:".length()));
            return new IntensityWindow(w.lowPercentile(), w.highPercentile(), true);
        }
        String[] p = s.split(",");
        if (p.length == 2) {
            try {
                return percentiles(Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("window must be 'minmax', 'LOW,HIGH' percentiles such as 0.5,99.5, 'volume' or"
                + " 'volume:LOW,HIGH', got '" + s + "'");
    }

    /** Windows an int16 image to 8 bits (as {@link #apply(float[])}: int16 values are exact as floats). */
    public byte[] apply(short[] image) {
        float[] f = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            f[i] = image[i];
        }
        return apply(f);
    }

    /** Windows a sample to 8 bits: bounds from the sample, or from its volume when per volume. */
    public byte[] apply(Sample sample) {
        VolumeIntensities v = sample.volume();
        if (perVolume && v != null) {
            double low = v.percentile(lowPercentile);
            double high = v.percentile(highPercentile);
            if (v.integral()) {
                low = Math.floor(low);
                high = Math.ceil(high);
            }
            return map(sample.image(), low, high);
        }
        return apply(sample.image());
    }

    /** Windows an image to 8 bits with bounds from the image itself. */
    public byte[] apply(float[] image) {
        boolean integral = true;
        double low = Double.MAX_VALUE;
        double high = -Double.MAX_VALUE;
        for (float v : image) {
            low = Math.min(low, v);
            high = Math.max(high, v);
            integral &= v == Math.rint(v);
        }
        if (lowPercentile != 0 || highPercentile != 100) {
            float[] sorted = image.clone();
            Arrays.sort(sorted);
            low = percentile(sorted, lowPercentile);
            high = percentile(sorted, highPercentile);
            if (integral) {
                low = Math.floor(low);
                high = Math.ceil(high);
            }
        }
        return map(image, low, high);
    }

    private static byte[] map(float[] image, double low, double high) {
        byte[] out = new byte[image.length];
        if (!(high > low)) {
            return out;
        }
        double scale = 255.0 / (high - low);
        for (int i = 0; i < image.length; i++) {
            double v = (image[i] - low) * scale;
            out[i] = (byte) (v <= 0 ? 0 : v >= 255 ? 255 : (int) Math.round(v));
        }
        return out;
    }

    private static double percentile(float[] sorted, double p) {
        double pos = p / 100.0 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    @Override
    public String toString() {
        String bounds = lowPercentile == 0 && highPercentile == 100 ? (perVolume ? "" : "minmax")
                : String.format(Locale.ROOT, "%s,%s", lowPercentile, highPercentile);
        return perVolume ? "volume" + (bounds.isEmpty() ? "" : ":" + bounds) : bounds;
    }
}
