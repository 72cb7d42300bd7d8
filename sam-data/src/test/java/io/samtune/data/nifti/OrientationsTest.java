package io.samtune.data.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import io.samtune.data.DatasetException;
import io.samtune.data.SampleSource;
import io.samtune.data.SampleSources;
import io.samtune.data.SourceOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Volumes stored in other orientations (LPS, axes swapped, superior to inferior), scaled int16,
 * uncompressed, orientation from the qform only, and each file of a case in its own orientation:
 * the same slices as the plain phantom, value for value.
 */
class OrientationsTest {

    static final String CASE = "BraTS-GLI-41000-000";
    static final Path PLAIN = PhantomVolumesTest.VOLUMES.resolve("brats").resolve(CASE);

    @TempDir
    Path tmp;

    /**
     * Writes a RAS+ volume with its stored axes permuted and flipped.
     *
     * @param perm {@code perm[i]}: the RAS axis stored axis {@code i} runs along
     * @param flip {@code flip[i]}: whether stored axis {@code i} runs against it
     */
    static void writeReoriented(NiftiVolume ras, NiftiWriter w, int[] perm, boolean[] flip, Path out) throws IOException {
        assertThat(ras.orientation().code()).isEqualTo("RAS");
        int[] n = ras.canonicalSides();
        double[] a = ras.header().affine();
        int[] s = {n[perm[0]], n[perm[1]], n[perm[2]]};
        double[] values = new double[s[0] * s[1] * s[2]];
        float[] src = ras.values();
        int[] c = new int[3];
        for (int k = 0; k < s[2]; k++) {
            for (int j = 0; j < s[1]; j++) {
                for (int i = 0; i < s[0]; i++) {
                    int[] st = {i, j, k};
                    for (int ax = 0; ax < 3; ax++) {
                        c[perm[ax]] = flip[ax] ? s[ax] - 1 - st[ax] : st[ax];
                    }
                    double v = src[c[0] + n[0] * (c[1] + n[1] * c[2])];
                    values[i + s[0] * (j + s[1] * k)] = (v - w.inter) / w.slope;
                }
            }
        }
        float[] srow = new float[12];
        double[] origin = {a[3], a[7], a[11]};
        for (int ax = 0; ax < 3; ax++) {
            for (int r = 0; r < 3; r++) {
                srow[r * 4 + ax] = (float) ((flip[ax] ? -1 : 1) * a[r * 4 + perm[ax]]);
                if (flip[ax]) {
                    origin[r] += a[r * 4 + perm[ax]] * (n[perm[ax]] - 1);
                }
            }
        }
        for (int r = 0; r < 3; r++) {
            srow[r * 4 + 3] = (float) origin[r];
        }
        w.srow = srow;
        w.sides(s[0], s[1], s[2]);
        w.write(out, values);
    }

    static NiftiVolume plain(String suffix) throws IOException {
        return NiftiReader.read(PLAIN.resolve(CASE + "-" + suffix + ".nii.gz"), 0, NiftiReader.DEFAULT_MAX_VOXELS);
    }

    Map<String, JsonObject> goldenOfCase() throws IOException {
        Map<String, JsonObject> all = PhantomVolumesTest.golden(PhantomVolumesTest.VOLUMES.resolve("brats/golden.json"));
        Map<String, JsonObject> mine = new TreeMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(CASE + "/")) {
                mine.put(k, v);
            }
        });
        return mine;
    }

    @Test
    void lpsScaledInt16UncompressedImageWithRasLabels() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("brats").resolve(CASE));
        NiftiWriter w = new NiftiWriter();
        w.datatype = 4;
        w.slope = 0.5f;
        w.inter = -3;
        w.gzip = false;
        writeReoriented(plain("t1c"), w, new int[] {0, 1, 2}, new boolean[] {true, true, false},
                dir.resolve(CASE + "-t1c.nii"));
        Files.copy(PLAIN.resolve(CASE + "-seg.nii.gz"), dir.resolve(CASE + "-seg.nii.gz"));
        SampleSource source = SampleSources.open(tmp.resolve("brats"), SourceOptions.defaults());
        PhantomVolumesTest.assertGolden(source, goldenOfCase(), true);
        assertThat(source.notes().get(0)).contains("LPS (1 file)").contains("RAS (1 file)");
    }

    @Test
    void swappedAxesSuperiorToInferiorAndQformOnlyLabels() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("brats").resolve(CASE));
        NiftiWriter image = new NiftiWriter();
        image.datatype = 4;
        writeReoriented(plain("t1c"), image, new int[] {1, 0, 2}, new boolean[] {false, false, true},
                dir.resolve(CASE + "-t1c.nii.gz"));
        // labels in LPS, placed by a qform only: a 180 degree turn about z, voxel size 3 mm
        NiftiVolume seg = plain("seg");
        NiftiWriter labels = new NiftiWriter();
        labels.datatype = 2;
        Path tmpSeg = tmp.resolve("seg-sform.nii.gz");
        writeReoriented(seg, labels, new int[] {0, 1, 2}, new boolean[] {true, true, false}, tmpSeg);
        labels.sformCode = 0;
        labels.qformCode = 1;
        labels.quatern = new float[] {0, 0, 1, labels.srow[3], labels.srow[7], labels.srow[11]};
        labels.pixdim = new float[] {1, 3, 3, 3, 0, 0, 0, 0};
        labels.srow = new float[12];
        writeReoriented(seg, labels, new int[] {0, 1, 2}, new boolean[] {true, true, false},
                dir.resolve(CASE + "-seg.nii.gz"));
        NiftiHeader h = NiftiReader.header(dir.resolve(CASE + "-seg.nii.gz"));
        assertThat(h.affineSource()).isEqualTo("qform");
        assertThat(Orientation.of(h.affine()).code()).isEqualTo("LPS");
        assertThat(Orientation.of(NiftiReader.header(dir.resolve(CASE + "-t1c.nii.gz")).affine()).code())
                .isEqualTo("ARI");
        PhantomVolumesTest.assertGolden(SampleSources.open(tmp.resolve("brats"), SourceOptions.defaults()),
                goldenOfCase(), true);
    }

    @Test
    void labelsOnAnotherGridAreRefusedNamingBothFiles() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("brats").resolve(CASE));
        Files.copy(PLAIN.resolve(CASE + "-t1c.nii.gz"), dir.resolve(CASE + "-t1c.nii.gz"));
        NiftiWriter w = new NiftiWriter();
        w.datatype = 2;
        // the labels' axes swapped in the data but the affine left as if they were not: 72x60x60 against 60x72x60
        NiftiVolume seg = plain("seg");
        writeReoriented(seg, w, new int[] {1, 0, 2}, new boolean[] {false, false, false}, dir.resolve(CASE + "-seg.nii.gz"));
        SampleSource ok = SampleSources.open(tmp.resolve("brats"), SourceOptions.defaults());
        PhantomVolumesTest.assertGolden(ok, goldenOfCase(), true); // a swap the affine records is fine
        w.srow = new float[] {3, 0, 0, -90, 0, 3, 0, -126, 0, 0, 3, -72};
        w.write(dir.resolve(CASE + "-seg.nii.gz"), new double[72 * 60 * 60]);
        assertThatThrownBy(() -> SampleSources.open(tmp.resolve("brats"), SourceOptions.defaults()).scan(false))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining(CASE + "-t1c.nii.gz and ").hasMessageContaining(CASE + "-seg.nii.gz")
                .hasMessageContaining("cannot be aligned");
        // same grid, moved by 5 voxels
        w.sides(60, 72, 60);
        w.srow = new float[] {3, 0, 0, -75, 0, 3, 0, -126, 0, 0, 3, -72};
        w.write(dir.resolve(CASE + "-seg.nii.gz"), new double[72 * 60 * 60]);
        assertThatThrownBy(() -> SampleSources.open(tmp.resolve("brats"), SourceOptions.defaults()).scan(false))
                .hasMessageContaining("placed differently in space").hasMessageContaining(CASE + "-t1c.nii.gz and ");
    }
}
