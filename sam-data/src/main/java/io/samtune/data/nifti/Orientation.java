package io.samtune.data.nifti;

import java.util.Arrays;

/**
 * How a volume's voxel axes map onto RAS+ (left to right, posterior to anterior, inferior to
 * superior): for each voxel axis, the world axis it follows most closely and its direction, chosen
 * as nibabel's {@code io_orientation} does (the affine's closest rotation, then greedily by voxel
 * axis). Putting a volume in this orientation is what {@code nibabel.as_closest_canonical} does.
 *
 * @param axis {@code axis[i]}: the RAS axis (0, 1, 2) that voxel axis {@code i} runs along
 * @param flip {@code flip[i]}: whether voxel axis {@code i} runs against it
 */
public record Orientation(int[] axis, boolean[] flip) {

    /**
     * The orientation of a row-major 3x4 affine.
     *
     * @throws IllegalArgumentException when the affine's 3x3 part is singular
     */
    public static Orientation of(double[] affine) {
        double[][] m = new double[3][3];
        for (int c = 0; c < 3; c++) {
            double norm = 0;
            for (int r = 0; r < 3; r++) {
                norm += affine[r * 4 + c] * affine[r * 4 + c];
            }
            norm = norm == 0 ? 1 : Math.sqrt(norm);
            for (int r = 0; r < 3; r++) {
                m[r][c] = affine[r * 4 + c] / norm;
            }
        }
        double[][] rot = polar(m);
        int[] axis = new int[3];
        boolean[] flip = new boolean[3];
        boolean[] used = new boolean[3];
        for (int in = 0; in < 3; in++) {
            int best = -1;
            for (int out = 0; out < 3; out++) {
                if (!used[out] && (best < 0 || Math.abs(rot[out][in]) > Math.abs(rot[best][in]))) {
                    best = out;
                }
            }
            if (rot[best][in] == 0) {
                throw new IllegalArgumentException("the affine's axes are not independent");
            }
            axis[in] = best;
            flip[in] = rot[best][in] < 0;
            used[best] = true;
        }
        return new Orientation(axis, flip);
    }

    /** The orthogonal factor of a 3x3 matrix's polar decomposition (Newton iteration). */
    private static double[][] polar(double[][] m) {
        double[][] r = m;
        for (int it = 0; it < 100; it++) {
            double[][] inv = inverse(r);
            double[][] next = new double[3][3];
            double change = 0;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    next[i][j] = 0.5 * (r[i][j] + inv[j][i]);
                    change = Math.max(change, Math.abs(next[i][j] - r[i][j]));
                }
            }
            r = next;
            if (change < 1e-12) {
                break;
            }
        }
        return r;
    }

    private static double[][] inverse(double[][] a) {
        double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
        if (!(Math.abs(det) > 1e-12)) {
            throw new IllegalArgumentException("the affine is singular (its voxel axes do not span space)");
        }
        double[][] inv = new double[3][3];
        inv[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
        inv[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
        inv[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
        inv[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
        inv[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
        inv[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
        inv[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
        inv[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
        inv[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
        return inv;
    }

    /** The voxel axis that runs along RAS axis {@code world}. */
    public int voxelAxisOf(int world) {
        for (int i = 0; i < 3; i++) {
            if (axis[i] == world) {
                return i;
            }
        }
        throw new IllegalStateException("no voxel axis along " + world);
    }

    /** The sides in RAS+ order, from the stored sides. */
    public long[] canonicalSides(long[] sides) {
        return new long[] {sides[voxelAxisOf(0)], sides[voxelAxisOf(1)], sides[voxelAxisOf(2)]};
    }

    /** The row-major 3x4 affine of the volume put in RAS+ order. */
    public double[] canonicalAffine(double[] affine, long[] sides) {
        double[] out = new double[12];
        double[] origin = {affine[3], affine[7], affine[11]};
        for (int j = 0; j < 3; j++) {
            int i = voxelAxisOf(j);
            double s = flip[i] ? -1 : 1;
            for (int r = 0; r < 3; r++) {
                out[r * 4 + j] = s * affine[r * 4 + i] + 0.0; // + 0.0: no negative zeros
                if (flip[i]) {
                    origin[r] += affine[r * 4 + i] * (sides[i] - 1);
                }
            }
        }
        for (int r = 0; r < 3; r++) {
            out[r * 4 + 3] = origin[r];
        }
        return out;
    }

    /** The orientation's axis codes, e.g. {@code RAS} or {@code LPS}: the direction each voxel axis runs towards. */
    public String code() {
        String pos = "RAS";
        String neg = "LPI";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            sb.append((flip[i] ? neg : pos).charAt(axis[i]));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Orientation other && Arrays.equals(axis, other.axis) && Arrays.equals(flip, other.flip);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(axis) + Arrays.hashCode(flip);
    }

    @Override
    public String toString() {
        return code();
    }
}
