package io.samtune.data;

import java.util.Objects;

/**
 * One 2D sample: a gray image and its binary target mask, whatever the file format. The image is
 * row-major ({@code image[y * width + x]}) in the file's stored units (after any scaling the file
 * declares); the arrays are shared, not copied: treat them as read-only.
 *
 * @param ref what the scan listed
 * @param image {@code height * width} intensities
 * @param mask the target, same size as the image
 * @param volume intensities of the whole volume the slice was cut from, for per-volume windowing;
 *     null for 2D files
 */
public record Sample(SampleRef ref, float[] image, BinaryMask mask, VolumeIntensities volume) {

    /** Validates sizes. */
    public Sample {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(mask, "mask");
        if (image.length != (long) ref.height() * ref.width()) {
            throw new IllegalArgumentException("image must hold " + ref.height() + "x" + ref.width() + " pixels, got "
                    + image.length);
        }
        if (mask.height() != ref.height() || mask.width() != ref.width()) {
            throw new IllegalArgumentException("mask is " + mask.height() + "x" + mask.width() + " but the image is "
                    + ref.height() + "x" + ref.width());
        }
    }

    /** The sample's id. */
    public String name() {
        return ref.name();
    }

    /** Rows. */
    public int height() {
        return ref.height();
    }

    /** Columns. */
    public int width() {
        return ref.width();
    }

    /** The patient (the case, for volumes). */
    public String patientId() {
        return ref.patientId();
    }

    /** Number of target pixels. */
    public int maskArea() {
        return mask.area();
    }

    /**
     * The tight box around the target.
     *
     * @throws IllegalArgumentException naming the sample when the mask is empty (no prompt can be made)
     */
    public BoxPrompt box() {
        if (mask.isEmpty()) {
            throw new IllegalArgumentException(ref.name() + " has an empty mask, so no prompt can be made from it;"
                    + " keep only slices with a target (--slices tumour)");
        }
        return BoxPrompt.fromMask(mask);
    }

    /** The image summed over the mask, in stored units. */
    public double imageSumOverMask() {
        double s = 0;
        boolean[] m = mask.pixels();
        for (int i = 0; i < image.length; i++) {
            if (m[i]) {
                s += image[i];
            }
        }
        return s;
    }

    /** Intensity at column {@code x}, row {@code y}. */
    public float pixel(int x, int y) {
        if (x < 0 || y < 0 || x >= width() || y >= height()) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ") is outside " + height() + "x" + width());
        }
        return image[y * width() + x];
    }

    @Override
    public String toString() {
        String where = mask.isEmpty() ? "empty mask" : "box " + BoxPrompt.fromMask(mask).corners() + ", mask area "
                + maskArea();
        return "Sample[" + ref.name() + " (" + ref.format() + "), " + (ref.label() == null ? "" : ref.label() + ", ")
                + "patient " + ref.patientId() + ", " + height() + "x" + width() + ", " + where + "]";
    }
}
