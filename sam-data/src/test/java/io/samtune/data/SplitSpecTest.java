package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.jmatio.types.MLDouble;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitSpecTest {

    static SliceIndex index;

    @TempDir
    Path tmp;

    @BeforeAll
    static void scan() throws Exception {
        index = SliceIndex.scan(Fixtures.phantoms());
    }

    private static Set<String> patients(List<SampleRef> part) {
        Set<String> s = new HashSet<>();
        part.forEach(i -> s.add(i.patientId()));
        return s;
    }

    @Test
    void fractionSplitKeepsPatientsTogetherAndIsDeterministic() throws Exception {
        SplitSpec spec = SplitSpec.builder().optValFraction(0.25).optTestFraction(0.25).optSeed(3).build();
        DataSplit a = spec.split(index);
        DataSplit b = spec.split(index);
        assertThat(a).isEqualTo(b);
        assertThat(patients(a.test())).hasSize(2);
        assertThat(patients(a.validation())).hasSize(2);
        assertThat(patients(a.train())).hasSize(4);
        assertThat(a.train().size() + a.validation().size() + a.test().size()).isEqualTo(24);
        assertThat(patients(a.train())).doesNotContainAnyElementsOf(patients(a.test()))
                .doesNotContainAnyElementsOf(patients(a.validation()));
        assertThat(a.part(DataSplit.Part.ALL)).hasSize(24);

        boolean differs = false;
        for (long seed = 4; seed < 10 && !differs; seed++) {
            DataSplit c = SplitSpec.builder().optValFraction(0.25).optTestFraction(0.25).optSeed(seed).build().split(index);
            differs = !patients(c.test()).equals(patients(a.test()));
        }
        assertThat(differs).as("another seed gives another split").isTrue();
    }

    @Test
    void kFoldTestPartsCoverEveryPatientOnce() throws Exception {
        Set<String> seen = new HashSet<>();
        int slices = 0;
        for (int fold = 1; fold <= 4; fold++) {
            DataSplit s = SplitSpec.builder().optFolds(4, fold).optValFraction(0.2).build().split(index);
            assertThat(patients(s.test())).hasSize(2);
            assertThat(seen).doesNotContainAnyElementsOf(patients(s.test()));
            assertThat(patients(s.validation())).hasSize(1);
            seen.addAll(patients(s.test()));
            slices += s.test().size();
        }
        assertThat(seen).hasSize(8);
        assertThat(slices).isEqualTo(24);
    }

    @Test
    void datasetIndexChoosesTheTestFold() throws Exception {
        // a patient-wise index: the phantoms' 8 patients dealt into 2 folds
        List<String> patients = index.patients();
        double[] folds = new double[24];
        for (SampleRef info : index.infos()) {
            int n = Integer.parseInt(info.name().replace(".mat", ""));
            folds[n - 1] = patients.indexOf(info.patientId()) % 2 + 1;
        }
        Path cv = tmp.resolve("cvind.mat");
        MatWriters.writeV5Variable(cv, new MLDouble("cvind", folds, 24));
        CrossValidationIndex cvi = CrossValidationIndex.read(cv);
        assertThat(cvi.foldCount()).isEqualTo(2);
        assertThat(cvi.foldSizes()).containsExactly(12, 12);
        DataSplit s = SplitSpec.builder().optCvIndex(cv, 2).optValFraction(0).build().split(index);
        assertThat(s.test()).hasSize(12).allSatisfy(i -> assertThat(cvi.foldOf(i)).isEqualTo(2));
        assertThat(s.train()).hasSize(12).allSatisfy(i -> assertThat(cvi.foldOf(i)).isEqualTo(1));
        assertThat(s.validation()).isEmpty();
    }

    @Test
    void datasetIndexThatSplitsAPatientIsRejected() throws Exception {
        double[] folds = new double[24];
        for (int i = 0; i < 24; i++) {
            folds[i] = i % 3 + 1; // the phantoms' patients own slices N, N+8, N+16: three folds
        }
        Path cv = tmp.resolve("cvind.mat");
        MatWriters.writeV5Variable(cv, new MLDouble("cvind", folds, 24));
        DatasetException e = catchThrowableOfType(DatasetException.class,
                () -> SplitSpec.builder().optCvIndex(cv, 1).build().split(index));
        assertThat(e.getMessage()).contains("puts slices of patient").contains("in folds");
    }

    @Test
    void invalidSpecsAreRejected() {
        assertThatThrownBy(() -> SplitSpec.builder().optTestFraction(0.6).optValFraction(0.5).build())
                .hasMessageContaining("must be < 1");
        assertThatThrownBy(() -> SplitSpec.builder().optFolds(5, 6).build()).hasMessageContaining("fold must be in 1..5");
        assertThatThrownBy(() -> SplitSpec.builder().optFolds(1, 1).build()).hasMessageContaining(">= 2");
        assertThatThrownBy(() -> DataSplit.Part.parse("dev")).hasMessageContaining("train, val, test or all");
    }

    @Test
    void moreFoldsThanPatientsIsRefused() throws Exception {
        SliceIndex index = SliceIndex.scan(Fixtures.demo());
        int patients = index.patients().size();
        DatasetException e = org.assertj.core.api.Assertions.catchThrowableOfType(DatasetException.class,
                () -> SplitSpec.builder().optFolds(patients + 1, 1).build().split(index));
        org.assertj.core.api.Assertions.assertThat(e.getMessage()).contains(patients + 1 + " folds")
                .contains(patients + " patients").contains("--folds");
    }
}
