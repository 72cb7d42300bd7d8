package io.samtune.data.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every supported datatype, in both byte orders, reads back its values; scaling as nibabel applies it. */
class NiftiDatatypesTest {

    @TempDir
    Path tmp;

    static byte[] encode(int datatype, ByteOrder order, long[] values) {
        int n = NiftiWriter.bytes(datatype);
        ByteBuffer b = ByteBuffer.allocate(values.length * n).order(order);
        for (long v : values) {
            switch (n) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> {
                    if (datatype == 16) {
                        b.putFloat(v);
                    } else {
                        b.putInt((int) v);
                    }
                }
                default -> {
                    if (datatype == 64) {
                        b.putDouble(v);
                    } else {
                        b.putLong(v);
                    }
                }
            }
        }
        return b.array();
    }

    @Test
    void eachDatatypeInEachByteOrder() throws IOException {
        // {datatype, stored pattern, expected value}
        long[][] cases = {
            {2, 200, 200}, {256, -100, -100}, {4, -30000, -30000}, {512, 60000, 60000}, {8, -2_000_000_000L, -2_000_000_000L},
            {768, 4_000_000_000L, 4_000_000_000L}, {16, 1234, 1234}, {64, -98765, -98765}, {1024, -5_000_000_000L, -5_000_000_000L},
            {1280, -1L, 18446744073709551615.0 > 0 ? -1 : 0}};
        for (long[] c : cases) {
            for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                NiftiWriter w = new NiftiWriter().sides(2, 1, 1);
                w.datatype = (short) c[0];
                w.order = order;
                Path f = tmp.resolve("t" + c[0] + order + ".nii.gz");
                w.writeRaw(f, encode((int) c[0], order, new long[] {c[1], 7}));
                NiftiVolume v = NiftiReader.read(f, 0, NiftiReader.DEFAULT_MAX_VOXELS);
                float want = c[0] == 1280 ? 1.8446744e19f : (float) c[2];
                assertThat(v.values()[0]).as("datatype %d %s", c[0], order).isEqualTo(want);
                assertThat(v.values()[1]).isEqualTo(7f);
                assertThat(v.header().order()).isEqualTo(order);
            }
        }
        assertThat(NiftiReader.read(write(1280, 1L << 62), 0, 100).values()[0]).isEqualTo((float) (1L << 62));
    }

    Path write(int datatype, long value) throws IOException {
        NiftiWriter w = new NiftiWriter().sides(1, 1, 1);
        w.datatype = (short) datatype;
        Path f = tmp.resolve("one" + datatype + ".nii.gz");
        w.writeRaw(f, encode(datatype, ByteOrder.LITTLE_ENDIAN, new long[] {value}));
        return f;
    }

    @Test
    void scalingFollowsNibabel() throws IOException {
        NiftiWriter w = new NiftiWriter().sides(2, 1, 1);
        w.datatype = 4;
        w.slope = 0.25f;
        w.inter = 10;
        Path f = tmp.resolve("s.nii.gz");
        w.write(f, new double[] {4, -8});
        NiftiVolume v = NiftiReader.read(f, 0, 10);
        assertThat(v.values()).containsExactly(11f, 8f);
        assertThat(v.header().scaled()).isTrue();
        // a slope of 0 or NaN means no scaling at all, the intercept too
        for (float slope : new float[] {0, Float.NaN}) {
            w.slope = slope;
            w.write(f, new double[] {4, -8});
            assertThat(NiftiReader.read(f, 0, 10).values()).containsExactly(4f, -8f);
        }
        // a NaN intercept with a slope is 0
        w.slope = 2;
        w.inter = Float.NaN;
        w.write(f, new double[] {4, -8});
        assertThat(NiftiReader.read(f, 0, 10).values()).containsExactly(8f, -16f);
    }

    @Test
    void theVoxelLimitComesFromAPropertyAndIsExact() throws IOException {
        NiftiWriter w = new NiftiWriter().sides(4, 5, 6);
        Path f = tmp.resolve("l.nii.gz");
        w.write(f, new double[120]);
        assertThat(NiftiReader.read(f, 0, 120).values()).hasSize(120);
        assertThatThrownBy(() -> NiftiReader.read(f, 0, 119)).hasMessageContaining("= 120 voxels, more than the 119");
        String before = System.getProperty(NiftiReader.MAX_VOXELS_PROPERTY);
        try {
            System.setProperty(NiftiReader.MAX_VOXELS_PROPERTY, "77");
            assertThat(NiftiReader.maxVoxels()).isEqualTo(77);
            System.setProperty(NiftiReader.MAX_VOXELS_PROPERTY, "1");
            assertThat(NiftiReader.maxVoxels()).isEqualTo(1);
            System.setProperty(NiftiReader.MAX_VOXELS_PROPERTY, "0");
            assertThatThrownBy(NiftiReader::maxVoxels).hasMessageContaining("whole number >= 1, got '0'");
            System.setProperty(NiftiReader.MAX_VOXELS_PROPERTY, "many");
            assertThatThrownBy(NiftiReader::maxVoxels).hasMessageContaining("got 'many'");
            System.setProperty(NiftiReader.MAX_VOXELS_PROPERTY, " ");
            assertThat(NiftiReader.maxVoxels()).isEqualTo(NiftiReader.DEFAULT_MAX_VOXELS);
        } finally {
            if (before == null) {
                System.clearProperty(NiftiReader.MAX_VOXELS_PROPERTY);
            } else {
                System.setProperty(NiftiReader.MAX_VOXELS_PROPERTY, before);
            }
        }
        // channels: reaching channel 3 of a 4D volume reads 4 channels' worth, bounded by 4 x the limit
        NiftiWriter four = new NiftiWriter().sides(2, 2, 2, 5);
        Path g = tmp.resolve("four.nii.gz");
        four.write(g, new double[40]);
        assertThat(NiftiReader.read(g, 3, 8).values()).hasSize(8);
        assertThat(NiftiReader.read(g, 4, 10).values()).hasSize(8);
        assertThatThrownBy(() -> NiftiReader.read(g, 4, 9)).hasMessageContaining("channel 4 lies after 32 other voxels");
        assertThatThrownBy(() -> NiftiReader.read(g, -1, 9)).hasMessageContaining("channel -1 does not exist");
        assertThat(NiftiReader.read(g, 0, 8).toString()).isEqualTo("NiftiVolume[four.nii.gz, RAS, 2x2x2 float32, channel 0]");
    }
}
