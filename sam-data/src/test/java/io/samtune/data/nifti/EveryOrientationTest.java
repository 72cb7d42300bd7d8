package io.samtune.data.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volume stored in each of the 48 axis orders and directions reads back as the same RAS+ volume
 * with the same canonical affine; orientations of oblique and sheared affines, of qforms and of
 * headers without either, against independent oracles.
 */
class EveryOrientationTest {

    @TempDir
    Path tmp;

    static final int[][] PERMS = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

    @Test
    void all48StoredOrientationsReadBackAsTheSameRasVolume() throws IOException {
        int[] n = {5, 4, 3};
        double[] zoom = {1.5, 2, 3};
        double[] origin = {-10, 7, 2.5};
        Random rng = new Random(3);
        double[] ras = new double[n[0] * n[1] * n[2]];
        for (int i = 0; i < ras.length; i++) {
            ras[i] = rng.nextInt(1000);
        }
        for (int[] perm : PERMS) {
            for (int f = 0; f < 8; f++) {
                boolean[] flip = {(f & 1) != 0, (f & 2) != 0, (f & 4) != 0};
                int[] s = {n[perm[0]], n[perm[1]], n[perm[2]]};
                double[] stored = new double[ras.length];
                int[] c = new int[3];
                for (int k = 0; k < s[2]; k++) {
                    for (int j = 0; j < s[1]; j++) {
                        for (int i = 0; i < s[0]; i++) {
                            int[] st = {i, j, k};
                            for (int ax = 0; ax < 3; ax++) {
                                c[perm[ax]] = flip[ax] ? s[ax] - 1 - st[ax] : st[ax];
                            }
                            stored[i + s[0] * (j + s[1] * k)] = ras[c[0] + n[0] * (c[1] + n[1] * c[2])];
                        }
                    }
                }
                float[] srow = new float[12];
                double[] o = origin.clone();
                for (int ax = 0; ax < 3; ax++) {
                    int w = perm[ax];
                    srow[w * 4 + ax] = (float) ((flip[ax] ? -1 : 1) * zoom[w]);
                    if (flip[ax]) {
                        o[w] += zoom[w] * (n[w] - 1);
                    }
                }
                for (int r = 0; r < 3; r++) {
                    srow[r * 4 + 3] = (float) o[r];
                }
                NiftiWriter wr = new NiftiWriter().sides(s[0], s[1], s[2]);
                wr.datatype = 4;
                wr.srow = srow;
                Path file = tmp.resolve("o" + perm[0] + perm[1] + perm[2] + f + ".nii.gz");
                wr.write(file, stored);
                NiftiVolume v = NiftiReader.read(file, 0, NiftiReader.DEFAULT_MAX_VOXELS);
                String what = v.orientation().code();
                assertThat(v.canonicalSides()).as(what).containsExactly(n[0], n[1], n[2]);
                assertThat(v.axialSlices()).isEqualTo(n[2]);
                double[] a = v.canonicalAffine();
                double[] expected = {zoom[0], 0, 0, origin[0], 0, zoom[1], 0, origin[1], 0, 0, zoom[2], origin[2]};
                for (int i = 0; i < 12; i++) {
                    assertThat(a[i]).as(what + " affine " + i).isCloseTo(expected[i], within(1e-5));
                }
                for (int k = 0; k < n[2]; k++) {
                    float[] slice = v.axialSlice(k);
                    for (int r = 0; r < n[1]; r++) {
                        for (int col = 0; col < n[0]; col++) {
                            // row r is RAS y = Y-1-r (row 0 most anterior), column col is RAS x (0 = left)
                            double want = ras[col + n[0] * ((n[1] - 1 - r) + n[1] * k)];
                            assertThat((double) slice[r * n[0] + col]).as(what + " k%d r%d c%d", k, r, col).isEqualTo(want);
                        }
                    }
                }
                assertThatThrownBy(() -> v.axialSlice(n[2])).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> v.axialSlice(-1)).isInstanceOf(IndexOutOfBoundsException.class);
            }
        }
    }

    /** A rotation about axis {@code ax} by {@code deg} degrees, row-major 3x3. */
    static double[] rotation(int ax, double deg) {
        double c = Math.cos(Math.toRadians(deg));
        double s = Math.sin(Math.toRadians(deg));
        double[] m = new double[9];
        int a = (ax + 1) % 3;
        int b = (ax + 2) % 3;
        m[ax * 3 + ax] = 1;
        m[a * 3 + a] = c;
        m[a * 3 + b] = -s;
        m[b * 3 + a] = s;
        m[b * 3 + b] = c;
        return m;
    }

    static double[] times(double[] x, double[] y) {
        double[] out = new double[9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    out[i * 3 + j] += x[i * 3 + k] * y[k * 3 + j];
                }
            }
        }
        return out;
    }

    @Test
    void obliqueScaledAndShearedAffinesTakeTheNearestAxes() {
        Random rng = new Random(9);
        for (int t = 0; t < 400; t++) {
            int[] perm = PERMS[rng.nextInt(6)];
            boolean[] flip = {rng.nextBoolean(), rng.nextBoolean(), rng.nextBoolean()};
            double[] p = new double[9];
            for (int ax = 0; ax < 3; ax++) {
                p[perm[ax] * 3 + ax] = flip[ax] ? -1 : 1;
            }
            // turned by up to 30 degrees about each axis, zoomed unevenly, sheared a little: still nearest to p
            double[] r = times(times(rotation(0, rng.nextDouble() * 30 - 15), rotation(1, rng.nextDouble() * 30 - 15)),
                    rotation(2, rng.nextDouble() * 30 - 15));
            double[] shear = {1, rng.nextDouble() * 0.2, 0, 0, 1, rng.nextDouble() * 0.2, 0, 0, 1};
            double[] m = times(times(r, p), shear);
            double[] zoom = {0.5 + rng.nextDouble() * 4, 0.5 + rng.nextDouble() * 4, 0.5 + rng.nextDouble() * 4};
            double[] affine = new double[12];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    affine[i * 4 + j] = m[i * 3 + j] * zoom[j];
                }
                affine[i * 4 + 3] = rng.nextGaussian() * 50;
            }
            Orientation o = Orientation.of(affine);
            assertThat(o.axis()).as("trial %d", t).containsExactly(perm);
            assertThat(o.flip()).as("trial %d", t).containsExactly(flip);
            assertThat(Orientation.of(affine)).isEqualTo(o).hasSameHashCodeAs(o);
        }
        // 50 degrees about z: the first voxel axis is nearer anterior, the second then left
        double[] r50 = rotation(2, 50);
        assertThat(Orientation.of(new double[] {r50[0], r50[1], 0, 0, r50[3], r50[4], 0, 0, 0, 0, 1, 0}).code())
                .isEqualTo("ALS");
        assertThat(Orientation.of(new double[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}).toString()).isEqualTo("RAS");
        assertThat(Orientation.of(new double[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}))
                .isNotEqualTo(Orientation.of(new double[] {-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}));
        assertThatThrownBy(() -> Orientation.of(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0}))
                .hasMessageContaining("singular");
    }

    /** The NIfTI quaternion (b, c, d) and qfac of a rotation-or-reflection, by the standard formula. */
    static double[] quaternion(double[] r) {
        double qfac = 1;
        double det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6])
                + r[2] * (r[3] * r[7] - r[4] * r[6]);
        double[] m = r.clone();
        if (det < 0) {
            qfac = -1;
            m[2] = -m[2];
            m[5] = -m[5];
            m[8] = -m[8];
        }
        double a = 0.5 * Math.sqrt(Math.max(0, 1 + m[0] + m[4] + m[8]));
        double b;
        double c;
        double d;
        if (a > 0.1) {
            b = 0.25 * (m[7] - m[5]) / a;
            c = 0.25 * (m[2] - m[6]) / a;
            d = 0.25 * (m[3] - m[1]) / a;
        } else {
            double xd = 1 + m[0] - m[4] - m[8];
            double yd = 1 + m[4] - m[0] - m[8];
            double zd = 1 + m[8] - m[0] - m[4];
            if (xd > 1) {
                b = 0.5 * Math.sqrt(xd);
                c = 0.25 * (m[1] + m[3]) / b;
                d = 0.25 * (m[2] + m[6]) / b;
                a = 0.25 * (m[7] - m[5]) / b;
            } else if (yd > 1) {
                c = 0.5 * Math.sqrt(yd);
                b = 0.25 * (m[1] + m[3]) / c;
                d = 0.25 * (m[5] + m[7]) / c;
                a = 0.25 * (m[2] - m[6]) / c;
            } else {
                d = 0.5 * Math.sqrt(zd);
                b = 0.25 * (m[2] + m[6]) / d;
                c = 0.25 * (m[5] + m[7]) / d;
                a = 0.25 * (m[3] - m[1]) / d;
            }
            if (a < 0) {
                b = -b;
                c = -c;
                d = -d;
            }
        }
        return new double[] {b, c, d, qfac};
    }

    @Test
    void aQformGivesTheAffineThatTheSameSformGives() throws IOException {
        Random rng = new Random(5);
        for (int t = 0; t < 40; t++) {
            double[] r = times(times(rotation(0, rng.nextDouble() * 360), rotation(1, rng.nextDouble() * 360)),
                    rotation(2, rng.nextDouble() * 360));
            if (t % 2 == 1) { // a reflection: qfac -1
                r[2] = -r[2];
                r[5] = -r[5];
                r[8] = -r[8];
            }
            double[] zoom = {0.5 + rng.nextDouble() * 3, 0.5 + rng.nextDouble() * 3, 0.5 + rng.nextDouble() * 3};
            double[] q = quaternion(r);
            NiftiWriter w = new NiftiWriter().sides(2, 2, 2);
            w.sformCode = 0;
            w.qformCode = 1;
            float[] off = {(float) rng.nextGaussian(), (float) rng.nextGaussian(), (float) rng.nextGaussian()};
            w.quatern = new float[] {(float) q[0], (float) q[1], (float) q[2], off[0], off[1], off[2]};
            w.pixdim = new float[] {(float) q[3], (float) zoom[0], (float) zoom[1], (float) zoom[2], 1, 1, 1, 1};
            Path f = tmp.resolve("q" + t + ".nii");
            w.gzip = false;
            w.write(f, new double[8]);
            NiftiHeader h = NiftiReader.header(f);
            assertThat(h.affineSource()).isEqualTo("qform");
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    assertThat(h.affine()[i * 4 + j]).as("trial %d [%d][%d]", t, i, j)
                            .isCloseTo(r[i * 3 + j] * zoom[j], within(1e-4 * (1 + zoom[j])));
                }
                assertThat(h.affine()[i * 4 + 3]).isEqualTo(off[i], within(1e-6));
            }
        }
    }

    @Test
    void aHeaderWithoutSformOrQformTakesNibabelsDefault() throws IOException {
        NiftiWriter w = new NiftiWriter().sides(5, 4, 3);
        w.sformCode = 0;
        w.qformCode = 0;
        w.pixdim = new float[] {1, 2, 3, 4, 1, 1, 1, 1};
        Path f = tmp.resolve("analyze.nii");
        w.gzip = false;
        w.write(f, new double[60]);
        NiftiHeader h = NiftiReader.header(f);
        assertThat(h.affineSource()).isEqualTo("none");
        assertThat(h.affine()).containsExactly(-2, 0, 0, 4, 0, 3, 0, -4.5, 0, 0, 4, -4);
        assertThat(Orientation.of(h.affine()).code()).isEqualTo("LAS");
        assertThat(h.voxelsPerChannel()).isEqualTo(60);
        assertThat(h.channels()).isEqualTo(1);
        assertThat(h.typeName()).isEqualTo("float32");
        assertThat(h.scaled()).isFalse();
        // pixdim 0 is taken as 1 mm
        w.pixdim = new float[] {1, 0, 0, 0, 1, 1, 1, 1};
        w.write(f, new double[60]);
        assertThat(NiftiReader.header(f).affine()).containsExactly(-1, 0, 0, 2, 0, 1, 0, -1.5, 0, 0, 1, -1);
    }
}
