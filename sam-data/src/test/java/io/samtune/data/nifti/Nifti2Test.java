package io.samtune.data.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NIfTI-2 (64-bit sides, double affine) reads like NIfTI-1: the same values and orientation. */
class Nifti2Test {

    @TempDir
    Path tmp;

    static byte[] header2(long[] sides, int datatype, double slope, double inter, double[] srow, String magic) {
        ByteBuffer b = ByteBuffer.allocate(544).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 540);
        byte[] m = magic.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < m.length; i++) {
            b.put(4 + i, m[i]);
        }
        b.putShort(12, (short) datatype);
        b.putLong(16, sides.length);
        for (int i = 0; i < sides.length; i++) {
            b.putLong(24 + 8 * i, sides[i]);
        }
        b.putLong(168, 544);
        b.putDouble(176, slope);
        b.putDouble(184, inter);
        b.putInt(348, 1);
        for (int i = 0; i < 12; i++) {
            b.putDouble(400 + 8 * i, srow[i]);
        }
        return b.array();
    }

    @Test
    void aNifti2VolumeInLpsReadsInRasWithItsScaling() throws IOException {
        Path f = tmp.resolve("v2.nii.gz");
        long[] sides = {3, 4, 2};
        double[] lps = {-2, 0, 0, 10, 0, -2, 0, 20, 0, 0, 2, 0};
        ByteBuffer data = ByteBuffer.allocate(24 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 24; i++) {
            data.putShort((short) i);
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(header2(sides, 4, 2, 1, lps, "n+2\0\r\n\032\n"));
            out.write(data.array());
        }
        NiftiVolume v = NiftiReader.read(f, 0, NiftiReader.DEFAULT_MAX_VOXELS);
        assertThat(v.header().version()).isEqualTo(2);
        assertThat(v.orientation().code()).isEqualTo("LPS");
        assertThat(v.canonicalSides()).containsExactly(3, 4, 2);
        // row 0 = most anterior = stored y 0 (stored y runs to posterior); column 0 = the patient's left = stored
        // x 2 (stored x runs to the left); values scaled by 2, plus 1
        float[] s = v.axialSlice(0);
        assertThat(s[0]).isEqualTo(2 * 2 + 1);
        assertThat(s[1]).isEqualTo(1 * 2 + 1);
        assertThat(s[3]).isEqualTo((2 + 3) * 2 + 1); // row 1 = stored y 1
        assertThat(v.axialSlice(1)[0]).isEqualTo((2 + 12) * 2 + 1);
        double[] a = v.canonicalAffine();
        assertThat(a).containsExactly(2, 0, 0, 6, 0, 2, 0, 14, 0, 0, 2, 0);
    }

    @Test
    void aNifti2PairAndAWrongMagicAreRefused() throws IOException {
        Path f = tmp.resolve("pair.nii");
        Files.write(f, header2(new long[] {2, 2, 2}, 16, 1, 0, new double[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0},
                "ni2\0\r\n\032\n"));
        assertThatThrownBy(() -> NiftiReader.header(f)).hasMessageContaining("NIfTI-2 pair");
        Files.write(f, header2(new long[] {2, 2, 2}, 16, 1, 0, new double[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, "xx"));
        assertThatThrownBy(() -> NiftiReader.header(f)).hasMessageContaining("is not 'n+2'");
        Files.write(f, header2(new long[] {2, 2, 2}, 16, 1, 0, new double[12], "n+2\0\r\n\032\n"));
        assertThatThrownBy(() -> NiftiReader.header(f)).hasMessageContaining("sform: the affine is singular");
    }
}
