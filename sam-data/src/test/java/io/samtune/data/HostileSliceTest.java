package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.jhdf.HdfFile;
import io.jhdf.api.dataset.ChunkedDataset;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile slice files, made small in code: every size a file claims is checked before anything is
 * allocated or inflated, so each is refused within seconds with a message naming the file and the
 * field, and no exception class names or "(null)".
 */
class HostileSliceTest {

    @TempDir
    Path tmp;

    private MatFileException refused(Path file, String... expected) {
        long t0 = System.nanoTime();
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> MatSliceReader.read(file));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(t).as("read of %s", file).isInstanceOf(MatFileException.class);
        assertThat(seconds).as("seconds to refuse %s", file).isLessThan(20);
        assertThat(t.getMessage()).startsWith(file.toString()).contains(expected).doesNotContain("(null)")
                .doesNotContainPattern("[a-z]+\\.[a-z]+\\.[A-Z][A-Za-z]*(Exception|Error)");
        return (MatFileException) t;
    }

    /** The offset of the image's chunk dimensions in a MATLAB v7.3 file (data layout message, version 3). */
    private static int chunkDimsOffset(byte[] bytes, int[] chunk) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 23 < bytes.length; i++) {
            if (bytes[i] == 3 && bytes[i + 1] == 2 && bytes[i + 2] == 3 && b.getInt(i + 11) == chunk[0]
                    && b.getInt(i + 15) == chunk[1] && b.getInt(i + 19) == 2) {
                return i + 11;
            }
        }
        throw new AssertionError("no chunked layout message of " + Arrays.toString(chunk) + " found");
    }

    @Test
    void chunkDimensionsOfZeroOrHugeAreRefusedAtOnce() throws Exception {
        Path phantom = Fixtures.phantoms().resolve("1.mat");
        int[] chunk;
        try (HdfFile h = new HdfFile(phantom)) {
            chunk = ((ChunkedDataset) h.getDatasetByPath("/cjdata/image")).getChunkDimensions();
        }
        byte[] bytes = Files.readAllBytes(phantom);
        int at = chunkDimsOffset(bytes, chunk);
        for (int value : new int[] {0, 1 << 24}) {
            byte[] hostile = bytes.clone();
            ByteBuffer.wrap(hostile).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
            Path f = Files.write(tmp.resolve("chunk-" + value + ".mat"), hostile);
            refused(f, "cjdata.image");
        }
    }

    @Test
    void slicesLargerThanTheSideLimitAreRefusedUnlessRaised() throws Exception {
        MatWriters.Fields f = MatWriters.Fields.of(MatSliceReader.read(Fixtures.phantoms().resolve("8.mat")));
        f.image = new short[5000][4];
        f.mask = new boolean[5000][4];
        f.mask[10][1] = true;
        Path tall = tmp.resolve("tall.mat");
        MatWriters.writeV73(tall, f);
        refused(tall, "cjdata.image", "5000x4", "larger than 4096", "--max-image-side");
        System.setProperty(MatSliceReader.MAX_SIDE_PROPERTY, "6000");
        try {
            assertThat(MatSliceReader.read(tall).height()).isEqualTo(5000);
        } finally {
            System.clearProperty(MatSliceReader.MAX_SIDE_PROPERTY);
        }
    }

    @Test
    void fieldsClaimingHugeSizesAreRefusedBeforeTheyAreRead() throws Exception {
        MatWriters.Fields base = MatWriters.Fields.of(MatSliceReader.read(Fixtures.phantoms().resolve("8.mat")));

        MatWriters.Fields pid = MatWriters.Fields.of(MatSliceReader.read(Fixtures.phantoms().resolve("8.mat")));
        pid.pid = "P".repeat(100_000);
        Path longPid = tmp.resolve("pid.mat");
        MatWriters.writeV73(longPid, pid);
        refused(longPid, "cjdata.PID", "100000 characters");

        base.border = new double[3_000_000];
        Path border = tmp.resolve("border.mat");
        MatWriters.writeV73(border, base);
        refused(border, "cjdata.tumorBorder", "3000000 values");
    }

    @Test
    void aV5FileThatInflatesBeyondWhatASliceHoldsIsRefused() throws Exception {
        // a v5 header and one compressed element: 96 MB of zeros in about 100 KB
        java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(compressed)) {
            byte[] zeros = new byte[1 << 16];
            for (int i = 0; i < 96 * 16; i++) {
                z.write(zeros);
            }
        }
        ByteBuffer file = ByteBuffer.allocate(128 + 8 + compressed.size()).order(ByteOrder.LITTLE_ENDIAN);
        byte[] text = "MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Tue Dec  1 10:00:00 2026".getBytes();
        file.put(Arrays.copyOf(text, 116)).putLong(0).putShort((short) 0x0100).put((byte) 'I').put((byte) 'M');
        file.putInt(15).putInt(compressed.size()).put(compressed.toByteArray());
        Path bomb = Files.write(tmp.resolve("bomb.mat"), file.array());
        assertThat(Files.size(bomb)).isLessThan(1_000_000);
        refused(bomb, "inflate to more than", "compression bomb");
    }

    @Test
    void maskValuesOtherThanZeroAndOneAreRefused() throws Exception {
        MatWriters.Fields f = MatWriters.Fields.of(MatSliceReader.read(Fixtures.phantoms().resolve("8.mat")));
        f.maskValues = new byte[f.mask.length][f.mask[0].length];
        for (int r = 0; r < f.mask.length; r++) {
            for (int c = 0; c < f.mask[0].length; c++) {
                f.maskValues[r][c] = (byte) (f.mask[r][c] ? 255 : 0);
            }
        }
        Path file = tmp.resolve("mask255.mat");
        MatWriters.writeV73(file, f);
        refused(file, "cjdata.tumorMask", "holds the value", "only 0 and 1");
    }

    @Test
    void threeThousandSlicesScanInBoundedMemory() throws Exception {
        // run under the module's -Xmx512m: the scan keeps headers, never the decoded slices
        MatWriters.Fields f = new MatWriters.Fields();
        f.image = new short[64][64];
        f.mask = new boolean[64][64];
        f.mask[30][30] = true;
        f.label = 1.0;
        f.border = new double[] {31, 31};
        Path dir = Files.createDirectories(tmp.resolve("many"));
        for (int i = 1; i <= 3000; i++) {
            f.pid = "P" + (i % 233);
            MatWriters.writeV5(dir.resolve(i + ".mat"), f);
        }
        SliceIndex index = SliceIndex.scan(dir);
        assertThat(index.size()).isEqualTo(3000);
        assertThat(index.patients()).hasSize(233);
        assertThat(Runtime.getRuntime().maxMemory()).as("the test runs with a small heap")
                .isLessThanOrEqualTo(600L << 20);
    }
}
