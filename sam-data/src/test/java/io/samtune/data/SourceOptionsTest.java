package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceOptionsTest {

    @Test
    void namedLabelSetsMeanTheSameRegionInBothNumberings() {
        LabelSet wt = LabelSet.parse("wt", "brats");
        assertThat(wt.contains(0)).isFalse();
        assertThat(wt.contains(1)).isTrue();
        assertThat(wt.contains(4)).isTrue();
        assertThat(LabelSet.parse("tc", "brats").values()).containsExactlyInAnyOrder(1, 3, 4);
        assertThat(LabelSet.parse("tc", "decathlon").values()).containsExactlyInAnyOrder(2, 3);
        assertThat(LabelSet.parse("ET", "brats").values()).containsExactlyInAnyOrder(3, 4);
        assertThat(LabelSet.parse("et", "decathlon").values()).containsExactly(3);
        LabelSet listed = LabelSet.parse(" 1, 3 ", "png");
        assertThat(listed.contains(1)).isTrue();
        assertThat(listed.contains(2)).isFalse();
        assertThat(listed.contains(3)).isTrue();
        assertThat(listed.toString()).isEqualTo("1, 3 (labels [1, 3])");
        assertThat(wt.toString()).isEqualTo("wt (labels > 0)");
        assertThatThrownBy(() -> LabelSet.parse("0,1", "brats")).hasMessageContaining("above 0");
        assertThatThrownBy(() -> LabelSet.parse("core", "brats")).hasMessageContaining("wt, tc, et or label values");
    }

    @Test
    void optionsAreCheckedAndReadBackFromJson() {
        SourceOptions d = SourceOptions.defaults();
        assertThat(d.isDefault()).isTrue();
        assertThat(d.allSlices()).isFalse();
        SourceOptions o = new SourceOptions("BraTS", "t2f", "tc", "tumor", 20, Path.of("p.csv"));
        assertThat(o.format()).isEqualTo("brats");
        assertThat(o.slices()).isEqualTo("tumour");
        assertThat(o.isDefault()).isFalse();
        assertThat(SourceOptions.fromJson(o.toJson())).isEqualTo(o);
        assertThat(SourceOptions.fromJson(d.toJson())).isEqualTo(d);
        assertThat(new SourceOptions(null, null, null, "all", 1, null).allSlices()).isTrue();
        assertThat(o.withFormat("png").format()).isEqualTo("png");
        assertThatThrownBy(() -> new SourceOptions("nrrd", null, null, null, 1, null)).hasMessageContaining(
                "--format must be one of auto, mat, brats, decathlon, png");
        assertThatThrownBy(() -> new SourceOptions(null, null, null, "some", 1, null)).hasMessageContaining("--slices");
        assertThatThrownBy(() -> new SourceOptions(null, null, null, null, 0, null)).hasMessageContaining("--min-area");
        assertThatThrownBy(() -> SourceOptions.fromJson(JsonParser.parseString("{\"formt\": \"png\"}")))
                .hasMessageContaining("formt");
    }

    @Test
    void splitsAndFoldsNeverPutOneCaseInTwoParts() throws Exception {
        SliceIndex index = SampleSources.open(Fixtures.phantomVolumes().resolve("brats"), SourceOptions.defaults())
                .scan(false);
        assertThat(index.patients()).hasSize(4);
        for (int fold = 1; fold <= 2; fold++) {
            DataSplit parts = SplitSpec.builder().optFolds(2, fold).build().split(index);
            Map<String, String> partOf = new HashMap<>();
            for (DataSplit.Part p : List.of(DataSplit.Part.TRAIN, DataSplit.Part.VAL, DataSplit.Part.TEST)) {
                for (SampleRef r : parts.part(p)) {
                    String before = partOf.putIfAbsent(r.patientId(), p.name());
                    assertThat(before == null || before.equals(p.name())).as(r.name()).isTrue();
                }
            }
            assertThat(parts.train().size() + parts.validation().size() + parts.test().size()).isEqualTo(index.size());
        }
    }
}
