package io.samtune.core.image;

import java.util.Arrays;
import java.util.Locale;

/**
 * How int16 MRI intensities become 8-bit gray: values between {@code low} and {@code high} map
 * linearly to 0..255 ({@code round((v - low) * 255 / (high - low))}), values outside are clipped.
 * The bounds are per slice: its minimum and maximum by default, or percentiles to ignore outliers.
 *
 * @param lowPercentile lower bound's percentile in [0, 100); 0 is the slice minimum
 * @param highPercentile upper bound's percentile in (0, 100]; 100 is the slice maximum
 */
public record IntensityWindow(double lowPercentile, double highPercentile) {

    /** Validates the range. */
    public IntensityWindow {
        if (!(lowPercentile >= 0 && lowPercentile < highPercentile && highPercentile <= 100)) {
            throw new IllegalArgumentException("percentiles must satisfy 0 <= low < high <= 100, got " + lowPercentile
                    + " and " + highPercentile);
        }
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
     * Parses {@code minmax} or {@code LOW,HIGH} percentiles such as {@code 0.5,99.5}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static IntensityWindow parse(String s) {
        if (s.equalsIgnoreCase("minmax")) {
            return minMax();
        }
        String[] p = s.split(",");
        if (p.length == 2) {
            try {
                return percentiles(Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("window must be 'minmax' or 'LOW,HIGH' percentiles such as 0.5,99.5, got '" + s + "'");
    }

    /** Windows an image to 8 bits. */
    public byte[] apply(short[] image) {
        int low;
        int high;
        if (lowPercentile == 0 && highPercentile == 100) {
            low = Integer.MAX_VALUE;
            high = Integer.MIN_VALUE;
            for (short v : image) {
                low = Math.min(low, v);
                high = Math.max(high, v);
            }
        } else {
            short[] sorted = image.clone();
            Arrays.sort(sorted);
            low = (int) Math.floor(percentile(sorted, lowPercentile));
            high = (int) Math.ceil(percentile(sorted, highPercentile));
        }
        byte[] out = new byte[image.length];
        if (high <= low) {
            return out;
        }
        double scale = 255.0 / (high - low);
        for (int i = 0; i < image.length; i++) {
            double v = (image[i] - low) * scale;
            out[i] = (byte) (v <= 0 ? 0 : v >= 255 ? 255 : (int) Math.round(v));
        }
        return out;
    }

    /** Linear-interpolated percentile of sorted values, as numpy's default. */
    private static double percentile(short[] sorted, double p) {
        double pos = p / 100.0 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    @Override
    public String toString() {
        return lowPercentile == 0 && highPercentile == 100 ? "minmax"
                : String.format(Locale.ROOT, "%s,%s", lowPercentile, highPercentile);
    }
}
