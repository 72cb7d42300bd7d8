package io.samtune.data.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.samtune.data.DatasetException;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSource;
import io.samtune.data.SampleSources;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The case layouts: older BraTS names, Decathlon task files that are wrong in each way, and slices kept. */
class VolumeLayoutsTest {

    @TempDir
    Path tmp;

    static final Path BRATS = PhantomVolumesTest.VOLUMES.resolve("brats");
    static final Path MSD = PhantomVolumesTest.VOLUMES.resolve("msd-task01");

    @Test
    void olderBratsNamesUnderscoresAndPlainNiiAreFound() throws IOException {
        String id = "BraTS2021_00007";
        Path c = Files.createDirectories(tmp.resolve("b").resolve(id));
        String src = "BraTS-GLI-41001-000";
        Files.copy(BRATS.resolve(src).resolve(src + "-t1c.nii.gz"), c.resolve(id + "_t1ce.nii.gz"));
        Files.copy(BRATS.resolve(src).resolve(src + "-t2f.nii.gz"), c.resolve(id + "_flair.nii.gz"));
        Files.copy(BRATS.resolve(src).resolve(src + "-seg.nii.gz"), c.resolve(id + "_seg.nii.gz"));
        Files.createDirectories(tmp.resolve("b/notes"));
        assertThat(SampleSources.detect(tmp.resolve("b"))).isEqualTo("brats");
        SliceIndex t1c = SampleSources.open(tmp.resolve("b"), SourceOptions.defaults()).scan(false);
        SliceIndex plain = SampleSources.open(BRATS, SourceOptions.defaults()).scan(false);
        assertThat(t1c.size()).isEqualTo(plain.infos().stream().filter(r -> r.patientId().equals(src)).count());
        assertThat(t1c.info(0).file().getFileName().toString()).isEqualTo(id + "_t1ce.nii.gz");
        assertThat(t1c.info(0).name()).startsWith(id + "/z0");
        SliceIndex flair = SampleSources.open(tmp.resolve("b"), new SourceOptions("brats", "T2F", null, null, 1, null))
                .scan(false);
        assertThat(flair.info(0).file().getFileName().toString()).isEqualTo(id + "_flair.nii.gz");
        assertThatThrownBy(() -> SampleSources.open(tmp.resolve("b"), new SourceOptions("brats", "t2w", null, null, 1,
                null))).isInstanceOf(DatasetException.class).hasMessageContaining("1 BraTS case folders hold no t2w image ("
                + id + ")");
        assertThatThrownBy(() -> SampleSources.open(tmp.resolve("b/notes"), new SourceOptions("brats", null, null, null,
                1, null))).hasMessageContaining("holds no BraTS case folder");
    }

    @Test
    void slicesAllAndMinAreaChooseWhichSlicesBecomeSamples() throws IOException {
        String id = "BraTS-GLI-41000-000";
        SampleSource all = SampleSources.open(BRATS, new SourceOptions("brats", null, null, "all", 1, null));
        SliceIndex every = all.scan(false);
        assertThat(every.infos().stream().filter(r -> r.patientId().equals(id)).count()).isEqualTo(60);
        SampleRef first = every.info(0);
        assertThat(first.slice()).isZero();
        assertThat(first.load().maskArea()).isZero();
        assertThat(all.target(first).isEmpty()).isTrue();
        // golden: slice 28 of this case has 5 tumour pixels, 29 has 33
        SliceIndex big = SampleSources.open(BRATS, new SourceOptions("brats", null, null, "tumour", 6, null)).scan(false);
        assertThat(big.infos()).extracting(SampleRef::name).doesNotContain(id + "/z028").contains(id + "/z029");
        SliceIndex five = SampleSources.open(BRATS, new SourceOptions("brats", null, null, "tumour", 5, null)).scan(false);
        assertThat(five.infos()).extracting(SampleRef::name).contains(id + "/z028");
        // a label set that no voxel has: nothing to train on, said so
        assertThatThrownBy(() -> SampleSources.open(BRATS, new SourceOptions("brats", null, "7", null, 1, null)).scan(false))
                .hasMessageContaining("no slice with target (labels 7 (labels [7])) in 4 cases")
                .hasMessageContaining("--slices all");
        // the same slice's id and digest stay the same from one scan to the next; another slice differs
        SampleRef a = SampleSources.open(BRATS, SourceOptions.defaults()).scan(false).info(3);
        SampleRef b = SampleSources.open(BRATS, SourceOptions.defaults()).scan(false).info(3);
        assertThat(a.name()).isEqualTo(b.name());
        assertThat(a.source().imageDigest(a)).isEqualTo(b.source().imageDigest(b));
        SampleRef c = SampleSources.open(BRATS, SourceOptions.defaults()).scan(false).info(4);
        assertThat(c.source().imageDigest(c)).isNotEqualTo(a.source().imageDigest(a));
    }

    void task(String json) throws IOException {
        Path t = tmp.resolve("t");
        Files.createDirectories(t.resolve("imagesTr"));
        Files.writeString(t.resolve("dataset.json"), json);
    }

    @Test
    void decathlonTaskFilesAreCheckedByName() throws IOException {
        Path t = tmp.resolve("t");
        task("{not json");
        assertThatThrownBy(() -> SampleSources.open(t, SourceOptions.defaults())).hasMessageContaining("is not valid JSON");
        task("[1]");
        assertThatThrownBy(() -> SampleSources.open(t, SourceOptions.defaults())).hasMessageContaining("not a JSON object");
        task("{\"modality\": {\"0\": \"FLAIR\"}, \"training\": []}");
        assertThatThrownBy(() -> SampleSources.open(t, SourceOptions.defaults()))
                .hasMessageContaining("has no modality named 't1gd' (it lists 0 FLAIR)");
        assertThatThrownBy(() -> SampleSources.open(t, new SourceOptions("decathlon", "flair", null, null, 1, null)))
                .hasMessageContaining("the \"training\" list is empty");
        task("{\"training\": [{\"image\": \"../../etc/passwd\", \"label\": \"./labelsTr/a.nii.gz\"}]}");
        assertThatThrownBy(() -> SampleSources.open(t, new SourceOptions("decathlon", "0", null, null, 1, null)))
                .hasMessageContaining("lies outside the task folder");
        task("{\"modality\": {\"0\": \"FLAIR\"}, \"training\": [{\"image\": 3}]}");
        assertThatThrownBy(() -> SampleSources.open(t, new SourceOptions("decathlon", "0", null, null, 1, null)))
                .hasMessageContaining("is not {\"image\": PATH, \"label\": PATH}");
        task("{\"modality\": {\"0\": \"FLAIR\"}}");
        assertThatThrownBy(() -> SampleSources.open(t, new SourceOptions("decathlon", "FLAIR", null, null, 1, null)))
                .hasMessageContaining("has no \"training\" list");
        task("{\"training\": []}");
        assertThatThrownBy(() -> SampleSources.open(t, SourceOptions.defaults()))
                .hasMessageContaining("lists no \"modality\" names");
        // a listed case whose files are missing is named when scanned
        task("{\"modality\": {\"2\": \"t1gd\"}, \"training\": [{\"image\": \"./imagesTr/x.nii.gz\", \"label\":"
                + " \"./labelsTr/x.nii.gz\"}]}");
        assertThatThrownBy(() -> SampleSources.open(t, SourceOptions.defaults()).scan(false))
                .hasMessageContaining("labelsTr/x.nii.gz: file not found");
        // the channel asked must exist in the 4D image
        assertThatThrownBy(() -> SampleSources.open(MSD, new SourceOptions("decathlon", "9", null, null, 1, null))
                .scan(false)).hasMessageContaining("has 4 channels; channel 9 does not exist");
    }
}
