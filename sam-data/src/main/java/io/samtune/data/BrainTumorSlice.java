package io.samtune.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One MRI slice of the brain tumour dataset with its tumour annotation.
 *
 * <p>The image is int16, row-major ({@code image[y * width + x]}); the arrays are shared, not
 * copied: treat them as read-only.
 *
 * @param source the file the slice was read from
 * @param format the MATLAB format of that file
 * @param label the tumour type ({@code cjdata.label})
 * @param patientId the patient identifier ({@code cjdata.PID})
 * @param height number of rows
 * @param width number of columns
 * @param image {@code height * width} intensities, row-major ({@code cjdata.image})
 * @param mask the tumour mask, same size as the image ({@code cjdata.tumorMask})
 * @param border tumour border polygon as 0-based {@code [x1, y1, x2, y2, ...]} (the file stores it
 *     1-based; {@code cjdata.tumorBorder}); may be empty
 */
public record BrainTumorSlice(Path source, MatFormat format, TumorType label, String patientId,
                              int height, int width, short[] image, BinaryMask mask, double[] border) {

    /** Validates nulls and that image and mask have the stated size. */
    public BrainTumorSlice {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(patientId, "patientId");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(border, "border");
        if (height <= 0 || width <= 0 || image.length != (long) height * width) {
            throw new IllegalArgumentException("image must hold " + height + "x" + width + " pixels, got " + image.length);
        }
        if (mask.height() != height || mask.width() != width) {
            throw new IllegalArgumentException("mask is " + mask.height() + "x" + mask.width()
                    + " but the image is " + height + "x" + width);
        }
        if (border.length % 2 != 0) {
            throw new IllegalArgumentException("border needs pairs of x, y values, got " + border.length + " values");
        }
    }

    /** The file name, e.g. {@code 12.mat}. */
    public String fileName() {
        return source.getFileName().toString();
    }

    /** Intensity at column {@code x}, row {@code y}. */
    public short pixel(int x, int y) {
        if (x < 0 || y < 0 || x >= width || y >= height) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ") is outside " + height + "x" + width);
        }
        return image[y * width + x];
    }

    /** Number of tumour pixels. */
    public int maskArea() {
        return mask.area();
    }

    /** The tight box around the tumour mask. */
    public BoxPrompt box() {
        return BoxPrompt.fromMask(mask);
    }

    /** The tumour mask's centroid (mean pixel), as a foreground point. */
    public PointPrompt centroid() {
        return PointPrompt.centroid(mask);
    }

    /** Number of vertices of the border polygon. */
    public int borderVertexCount() {
        return border.length / 2;
    }

    /** Smallest intensity. */
    public int imageMin() {
        int m = Integer.MAX_VALUE;
        for (short v : image) {
            m = Math.min(m, v);
        }
        return m;
    }

    /** Largest intensity. */
    public int imageMax() {
        int m = Integer.MIN_VALUE;
        for (short v : image) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Sum of all intensities. */
    public long imageSum() {
        long s = 0;
        for (short v : image) {
            s += v;
        }
        return s;
    }

    @Override
    public String toString() {
        String where = mask.isEmpty() ? "empty mask" : "box " + box().corners() + ", mask area " + maskArea();
        return "BrainTumorSlice[" + fileName() + " (" + format + "), " + label.displayName() + ", patient "
                + patientId + ", " + height + "x" + width + ", " + where + "]";
    }
}
