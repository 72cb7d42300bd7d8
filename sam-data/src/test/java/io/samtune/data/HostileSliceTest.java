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
        MatWriters.Fields f = MatWriters.Fields.of(MatSliceReader.read(Fixtures.phantoms().resolve("8.mat")));
        f.border = new double[12_000_000]; // 96 MB of zeros: a few hundred KB compressed
        Path bomb = tmp.resolve("bomb.mat");
        MatWriters.writeV5(bomb, f);
        assertThat(Files.size(bomb)).isLessThan(2_000_000);
        refused(bomb, "inflate to more than", "compression bomb");
    }
}
