package io.samtune.data.nifti;

import java.util.Objects;

/**
 * One channel of a NIfTI volume as stored (x fastest), with its orientation: {@link #axialSlice}
 * gives slices of the volume put in RAS+ ({@code nibabel.as_closest_canonical}), axial index
 * {@code k} from inferior to superior, shown as {@code np.rot90} of {@code volume[:, :, k]}: row 0
 * is the most anterior, column 0 the patient's left.
 */
public final class NiftiVolume {

    private final NiftiHeader header;
    private final int channel;
    private final float[] values;
    private final Orientation orientation;
    private final long[] sides;

    NiftiVolume(NiftiHeader header, int channel, float[] values) {
        this.header = Objects.requireNonNull(header, "header");
        this.channel = channel;
        this.values = values;
        this.orientation = orientationOf(header);
        this.sides = new long[] {header.dims()[0], header.dims()[1], header.dims()[2]};
    }

    /** The orientation of a header's affine; refused naming the file when the affine is singular. */
    static Orientation orientationOf(NiftiHeader header) {
        try {
            return Orientation.of(header.affine());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(header.file() + ": " + header.affineSource() + ": " + e.getMessage());
        }
    }

    /** The header. */
    public NiftiHeader header() {
        return header;
    }

    /** The channel read. */
    public int channel() {
        return channel;
    }

    /** How the stored axes map onto RAS+. */
    public Orientation orientation() {
        return orientation;
    }

    /** The sides in RAS+ order: left-right, posterior-anterior, inferior-superior. */
    public int[] canonicalSides() {
        long[] c = orientation.canonicalSides(sides);
        return new int[] {(int) c[0], (int) c[1], (int) c[2]};
    }

    /** The affine of the volume in RAS+ order (row-major 3x4). */
    public double[] canonicalAffine() {
        return orientation.canonicalAffine(header.affine(), sides);
    }

    /** Number of axial slices. */
    public int axialSlices() {
        return canonicalSides()[2];
    }

    /** The values as stored (x fastest); shared, treat as read-only. */
    public float[] values() {
        return values;
    }

    /**
     * Axial slice {@code k} (0 = most inferior) as {@code height * width} values, row-major, with
     * {@code height} the anterior-posterior side (row 0 most anterior) and {@code width} the
     * left-right side (column 0 the patient's left).
     */
    public float[] axialSlice(int k) {
        int[] c = canonicalSides();
        if (k < 0 || k >= c[2]) {
            throw new IndexOutOfBoundsException("slice " + k + " of " + c[2]);
        }
        int width = c[0];
        int height = c[1];
        // voxel index = sum over stored axes of stride * stored coordinate; each stored axis follows one RAS axis
        long[] stride = {1, sides[0], sides[0] * sides[1]};
        int ix = orientation.voxelAxisOf(0);
        int iy = orientation.voxelAxisOf(1);
        int iz = orientation.voxelAxisOf(2);
        long base = stride[iz] * (orientation.flip()[iz] ? sides[iz] - 1 - k : k);
        float[] out = new float[width * height];
        for (int r = 0; r < height; r++) {
            int y = height - 1 - r;
            long rowBase = base + stride[iy] * (orientation.flip()[iy] ? sides[iy] - 1 - y : y);
            for (int col = 0; col < width; col++) {
                long at = rowBase + stride[ix] * (orientation.flip()[ix] ? sides[ix] - 1 - col : col);
                out[r * width + col] = values[(int) at];
            }
        }
        return out;
    }

    @Override
    public String toString() {
        int[] c = canonicalSides();
        return "NiftiVolume[" + header.file().getFileName() + ", " + orientation.code() + ", " + c[0] + "x" + c[1] + "x"
                + c[2] + " " + header.typeName() + (header.channels() > 1 ? ", channel " + channel : "") + "]";
    }
}
