package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The two real MATLAB files published by the dataset's author (not redistributable, so read from
 * {@code ../shared} when present).
 */
class AuthorFilesTest {

    private static Path authorFile(String name) {
        Path dir = Fixtures.shared().map(s -> s.resolve("datasets/figshare-author-files")).orElse(null);
        Assumptions.assumeTrue(dir != null, "../shared is absent in this checkout: the author's files cannot be copied"
                + " into the project, so this test needs the shared folder beside it");
        return dir.resolve(name);
    }

    @Test
    void realCvIndexV73() throws Exception {
        Path f = authorFile("cvind5fold.mat");
        assertThat(MatSliceReader.detectFormat(f)).isEqualTo(MatFormat.V7_3);
        CrossValidationIndex cv = CrossValidationIndex.read(f);
        assertThat(cv.folds()).hasSize(3064);
        assertThat(cv.foldSizes()).containsExactly(570, 655, 562, 613, 664);
    }

    @Test
    void realLabelsV5() throws Exception {
        Path f = authorFile("label.mat");
        assertThat(MatSliceReader.detectFormat(f)).isEqualTo(MatFormat.V5);
        try (MatContainer mat = MatContainer.open(f)) {
            MatVariable label = mat.variable("label");
            assertThat(label.matlabClass()).isEqualTo("double");
            assertThat(label.dimensions()).containsExactly(3064, 1);
            int[] counts = new int[4];
            for (double v : label.doubles()) {
                counts[(int) v]++;
            }
            assertThat(counts).containsExactly(0, 708, 1426, 930);
        }
    }

    @Test
    void aSliceFileNameIsNotEnoughToBeASlice() throws Exception {
        Path f = authorFile("label.mat");
        MatFileException e = org.assertj.core.api.Assertions.catchThrowableOfType(MatFileException.class,
                () -> MatSliceReader.read(f));
        assertThat(e.getMessage()).contains("cjdata: missing").contains("variables found: label");
    }
}
