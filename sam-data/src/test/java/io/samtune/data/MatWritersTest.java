package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test writers themselves: a phantom written back in both formats reads the same. */
class MatWritersTest {

    @TempDir
    Path tmp;

    @Test
    void roundTripsBothFormats() throws Exception {
        BrainTumorSlice original = MatSliceReader.read(Fixtures.phantoms().resolve("8.mat"));
        Path v73 = tmp.resolve("a.mat");
        Path v5 = tmp.resolve("b.mat");
        MatWriters.writeV73(v73, MatWriters.Fields.of(original));
        MatWriters.writeV5(v5, MatWriters.Fields.of(original));
        for (Path p : new Path[] {v73, v5}) {
            BrainTumorSlice s = MatSliceReader.read(p);
            assertThat(s.image()).isEqualTo(original.image());
            assertThat(s.mask()).isEqualTo(original.mask());
            assertThat(s.border()).containsExactly(original.border(), org.assertj.core.data.Offset.offset(1e-12));
            assertThat(s.label()).isEqualTo(original.label());
            assertThat(s.patientId()).isEqualTo(original.patientId());
        }
        assertThat(MatSliceReader.detectFormat(v73)).isEqualTo(MatFormat.V7_3);
        assertThat(MatSliceReader.detectFormat(v5)).isEqualTo(MatFormat.V5);
    }
}
