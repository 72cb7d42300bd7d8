package io.samtune.data.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.samtune.data.SampleFileException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile or broken volumes are refused naming the file and the problem, before anything the
 * header claims is allocated (this module's tests run under {@code -Xmx512m}), in seconds.
 */
@Timeout(30)
class HostileVolumeTest {

    @TempDir
    Path tmp;

    static final long MAX = NiftiReader.DEFAULT_MAX_VOXELS;

    NiftiWriter small() {
        return new NiftiWriter().sides(4, 5, 6);
    }

    @Test
    void aHeaderClaimingMoreVoxelsThanTheFileHoldsIsRefused() throws IOException {
        for (boolean gz : new boolean[] {false, true}) {
            Path f = tmp.resolve(gz ? "short.nii.gz" : "short.nii");
            NiftiWriter w = small();
            w.gzip = gz;
            w.sides(200, 200, 200); // 32 MB of float32 claimed, 120 values written
            w.write(f, new double[120]);
            assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).isInstanceOf(SampleFileException.class)
                    .hasMessageStartingWith(f.toString()).hasMessageContaining("the file holds only")
                    .hasMessageContaining("truncated");
        }
    }

    @Test
    void negativeZeroAndAbsurdSidesAreRefused() throws IOException {
        Path f = tmp.resolve("neg.nii.gz");
        NiftiWriter w = small();
        w.dim[2] = -5;
        w.write(f, new double[0]);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("side 2 is -5");
        w.dim[2] = 0;
        w.write(f, new double[0]);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("side 2 is 0");
        w.sides(32767, 32767, 32767);
        w.write(f, new double[16]);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageStartingWith(f.toString())
                .hasMessageContaining("more than the " + MAX + " accepted").hasMessageContaining("--max-voxels");
        w.dim[0] = 9;
        w.write(f, new double[16]);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("says 9 dimensions");
    }

    @Test
    void aGzipBombClaimingGigabytesIsRefusedWithoutInflatingIt() throws IOException {
        // 1 GB of int16 claimed (512 x 1024 x 1024) in a file of a few kB of zeros, which would inflate further
        Path f = tmp.resolve("bomb.nii.gz");
        NiftiWriter w = new NiftiWriter().sides(512, 1024, 1024);
        w.datatype = 4;
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(w.header());
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                out.write(zeros);
            }
        }
        assertThat(Files.size(f)).isLessThan(1 << 20);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("more than the");
        // with the limit raised, the gzip trailer still tells that the file cannot hold it, before any allocation
        assertThatThrownBy(() -> NiftiReader.read(f, 0, 1L << 31)).hasMessageContaining("the file holds only");
    }

    @Test
    void anOffsetPastTheEndOrInsideTheHeaderIsRefused() throws IOException {
        Path f = tmp.resolve("offset.nii");
        NiftiWriter w = small();
        w.gzip = false;
        w.voxOffset = 1e9f;
        w.writeRaw(f, new byte[0]);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("vox_offset");
        w.voxOffset = 100;
        Files.write(f, w.header());
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("vox_offset: is 100.0");
        w.voxOffset = 4000;
        w.writeRaw(f, new byte[480]);
        Files.write(f, java.util.Arrays.copyOf(Files.readAllBytes(f), 2000));
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("the file holds only 2000 bytes");
    }

    @Test
    void unknownDatatypesAndNonNiftiFilesAreRefused() throws IOException {
        Path f = tmp.resolve("rgb.nii.gz");
        NiftiWriter w = small();
        w.datatype = 128;
        w.write(f, new double[120]);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("datatype: is 128, which is not read");
        Path text = tmp.resolve("notes.nii");
        Files.writeString(text, "this is not a volume at all, but it is long enough to hold a header? no.");
        assertThatThrownBy(() -> NiftiReader.read(text, 0, MAX)).hasMessageContaining("is not a NIfTI-1 or NIfTI-2 file");
        Path empty = tmp.resolve("empty.nii.gz");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> NiftiReader.read(empty, 0, MAX)).hasMessageStartingWith(empty.toString());
        Path pair = tmp.resolve("pair.nii");
        NiftiWriter p = small();
        p.magic = "ni1";
        p.gzip = false;
        p.write(pair, new double[120]);
        assertThatThrownBy(() -> NiftiReader.read(pair, 0, MAX)).hasMessageContaining("NIfTI pair");
        assertThatThrownBy(() -> NiftiReader.read(tmp, 0, MAX)).hasMessageContaining("is a folder");
    }

    @Test
    void aTruncatedGzipFileIsRefused() throws IOException {
        Path f = tmp.resolve("cut.nii.gz");
        NiftiWriter w = new NiftiWriter().sides(40, 40, 40);
        double[] v = new double[40 * 40 * 40];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        w.write(f, v);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).isInstanceOf(SampleFileException.class)
                .hasMessageStartingWith(f.toString());
    }

    @Test
    void nonFiniteValuesAChannelThatDoesNotExistAndBigEndianFiles() throws IOException {
        Path f = tmp.resolve("nan.nii.gz");
        double[] v = new double[120];
        v[7] = Double.NaN;
        small().write(f, v);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, MAX)).hasMessageContaining("1 of 120 values are not finite");
        Path four = tmp.resolve("four.nii.gz");
        NiftiWriter w = new NiftiWriter().sides(4, 5, 6, 2);
        double[] two = new double[240];
        for (int i = 0; i < two.length; i++) {
            two[i] = i;
        }
        w.write(four, two);
        assertThat(NiftiReader.read(four, 1, MAX).values()[0]).isEqualTo(120f);
        assertThatThrownBy(() -> NiftiReader.read(four, 2, MAX)).hasMessageContaining("has 2 channels; channel 2 does not exist");
        Path big = tmp.resolve("big-endian.nii");
        NiftiWriter b = small();
        b.order = java.nio.ByteOrder.BIG_ENDIAN;
        b.datatype = 512;
        b.gzip = false;
        double[] u = new double[120];
        u[3] = 60000;
        b.write(big, u);
        assertThat(NiftiReader.read(big, 0, MAX).values()[3]).isEqualTo(60000f);
    }
}
