package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kind of bad slice file gets a checked error naming the file, the field and the problem. */
class BadSliceTest {

    @TempDir
    Path tmp;

    private static BrainTumorSlice phantom() throws Exception {
        return MatSliceReader.read(Fixtures.phantoms().resolve("8.mat"));
    }

    private MatFileException readFails(Path file) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> MatSliceReader.read(file));
        assertThat(t).isInstanceOf(MatFileException.class);
        MatFileException e = (MatFileException) t;
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).startsWith(file.toString());
        return e;
    }

    @Test
    void missingFile() {
        MatFileException e = readFails(tmp.resolve("nope.mat"));
        assertThat(e.getMessage()).contains("file not found");
    }

    @Test
    void emptyFile() throws Exception {
        Path f = Files.write(tmp.resolve("empty.mat"), new byte[0]);
        assertThat(readFails(f).getMessage()).contains("file is empty");
    }

    @Test
    void notAMatFile() throws Exception {
        Path f = Files.writeString(tmp.resolve("notes.mat"), "patient notes, not a MAT-file\n".repeat(20));
        assertThat(readFails(f).getMessage()).contains("not a MAT-file");
    }

    @Test
    void headerOnlyPart() throws Exception {
        byte[] full = Files.readAllBytes(Fixtures.phantoms().resolve("1.mat"));
        Path f = Files.write(tmp.resolve("short.mat"), Arrays.copyOf(full, 100));
        assertThat(readFails(f).getMessage()).contains("truncated");
    }

    @ParameterizedTest(name = "v7.3 cut to {0} bytes")
    @ValueSource(ints = {300, 600, 4000, 60000, 200000})
    void truncatedV73(int bytes) throws Exception {
        byte[] full = Files.readAllBytes(Fixtures.phantoms().resolve("1.mat"));
        Path f = Files.write(tmp.resolve("cut.mat"), Arrays.copyOf(full, bytes));
        assertThat(readFails(f).getMessage()).containsAnyOf("truncated", "corrupt");
    }

    @ParameterizedTest(name = "v5 cut to {0} bytes")
    @ValueSource(ints = {130, 1000, 100000, 250000})
    void truncatedV5(int bytes) throws Exception {
        byte[] full = Files.readAllBytes(Fixtures.phantoms().resolve("22.mat"));
        Path f = Files.write(tmp.resolve("cut.mat"), Arrays.copyOf(full, bytes));
        assertThat(readFails(f).getMessage()).containsAnyOf("truncated", "corrupt");
    }

    @Test
    void corruptCompressedChunk() throws Exception {
        byte[] bytes = Files.readAllBytes(Fixtures.phantoms().resolve("1.mat"));
        for (int i = 20000; i < 120000; i++) {
            bytes[i] ^= 0x5a;
        }
        Path f = Files.write(tmp.resolve("garbled.mat"), bytes);
        assertThat(readFails(f).getMessage()).containsAnyOf("truncated", "corrupt");
    }

    @Test
    void missingStruct() throws Exception {
        Path f = tmp.resolve("other.mat");
        MatWriters.writeV5Variable(f, new com.jmatio.types.MLDouble("x", new double[] {1, 2}, 1));
        MatFileException e = readFails(f);
        assertThat(e.field()).isEqualTo("cjdata");
        assertThat(e.getMessage()).contains("cjdata: missing").contains("variables found: x");
    }

    @Test
    void missingFieldBothFormats() throws Exception {
        for (boolean v73 : new boolean[] {true, false}) {
            MatWriters.Fields fields = MatWriters.Fields.of(phantom());
            fields.mask = null;
            Path f = write(fields, v73);
            MatFileException e = readFails(f);
            assertThat(e.field()).isEqualTo("cjdata.tumorMask");
            assertThat(e.getMessage()).contains("cjdata.tumorMask: missing");
        }
    }

    @Test
    void maskShapeDiffersFromImage() throws Exception {
        for (boolean v73 : new boolean[] {true, false}) {
            MatWriters.Fields fields = MatWriters.Fields.of(phantom());
            fields.mask = Arrays.copyOf(fields.mask, 200);
            Path f = write(fields, v73);
            MatFileException e = readFails(f);
            assertThat(e.field()).isEqualTo("cjdata.tumorMask");
            assertThat(e.getMessage()).contains("has shape 200x256 but cjdata.image is 256x256");
        }
    }

    @Test
    void emptyMask() throws Exception {
        for (boolean v73 : new boolean[] {true, false}) {
            MatWriters.Fields fields = MatWriters.Fields.of(phantom());
            fields.mask = new boolean[256][256];
            Path f = write(fields, v73);
            MatFileException e = readFails(f);
            assertThat(e.field()).isEqualTo("cjdata.tumorMask");
            assertThat(e.getMessage()).contains("mask is empty");
            // the index does not decode masks, so it accepts the file; loading it fails
            assertThat(MatSliceReader.readInfo(f).label()).isEqualTo(TumorType.GLIOMA);
        }
    }

    @ParameterizedTest(name = "label {0}")
    @ValueSource(doubles = {0, 4, 1.5, -1})
    void labelOutOfRange(double label) throws Exception {
        for (boolean v73 : new boolean[] {true, false}) {
            MatWriters.Fields fields = MatWriters.Fields.of(phantom());
            fields.label = label;
            Path f = write(fields, v73);
            MatFileException e = readFails(f);
            assertThat(e.field()).isEqualTo("cjdata.label");
            assertThat(e.getMessage()).contains("expected 1 (meningioma), 2 (glioma) or 3 (pituitary)");
            assertThatThrownBy(() -> MatSliceReader.readInfo(f)).isInstanceOf(MatFileException.class);
        }
    }

    @Test
    void emptyPatientId() throws Exception {
        MatWriters.Fields fields = MatWriters.Fields.of(phantom());
        fields.pid = "";
        Path f = write(fields, false);
        assertThat(readFails(f).field()).isEqualTo("cjdata.PID");
    }

    @Test
    void oddBorderLength() throws Exception {
        MatWriters.Fields fields = MatWriters.Fields.of(phantom());
        fields.border = new double[] {1, 2, 3};
        MatFileException e = readFails(write(fields, true));
        assertThat(e.field()).isEqualTo("cjdata.tumorBorder");
        assertThat(e.getMessage()).contains("x, y pairs");
    }

    @Test
    void nothingIsWrittenBesideTheFile() throws Exception {
        byte[] full = Files.readAllBytes(Fixtures.phantoms().resolve("1.mat"));
        Path f = Files.write(tmp.resolve("cut.mat"), Arrays.copyOf(full, 5000));
        readFails(f);
        MatSliceReader.read(Files.copy(Fixtures.phantoms().resolve("2.mat"), tmp.resolve("2.mat")));
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("2.mat", "cut.mat");
        }
    }

    private Path write(MatWriters.Fields fields, boolean v73) throws Exception {
        Path f = tmp.resolve((v73 ? "v73-" : "v5-") + System.nanoTime() + ".mat");
        if (v73) {
            MatWriters.writeV73(f, fields);
        } else {
            MatWriters.writeV5(f, fields);
        }
        return f;
    }
}
