package io.samtune.data.nifti;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.data.BoxPrompt;
import io.samtune.data.Fixtures;
import io.samtune.data.Sample;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSource;
import io.samtune.data.SampleSources;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Every slice that {@code golden.json} lists, found with the same box, area and image sum, and nothing else. */
class PhantomVolumesTest {

    static final Path VOLUMES = Fixtures.phantomVolumes();

    /** The golden slices by sample id ({@code CASE/zK}). */
    static Map<String, JsonObject> golden(Path goldenJson) throws IOException {
        JsonObject g = JsonParser.parseString(Files.readString(goldenJson)).getAsJsonObject();
        Map<String, JsonObject> out = new TreeMap<>();
        for (JsonElement c : g.getAsJsonArray("cases")) {
            String id = c.getAsJsonObject().get("case").getAsString();
            for (JsonElement s : c.getAsJsonObject().getAsJsonArray("slices")) {
                int k = s.getAsJsonObject().get("k").getAsInt();
                out.put(String.format("%s/z%03d", id, k), s.getAsJsonObject());
            }
        }
        return out;
    }

    /** Checks every sample of a source against golden slices. */
    static void assertGolden(SampleSource source, Map<String, JsonObject> golden, boolean sums) throws IOException {
        SliceIndex index = source.scan(false);
        Map<String, SampleRef> found = new HashMap<>();
        index.infos().forEach(r -> found.put(r.name(), r));
        assertThat(found.keySet()).containsExactlyInAnyOrderElementsOf(golden.keySet());
        for (SampleRef ref : index.infos()) {
            JsonObject g = golden.get(ref.name());
            Sample s = ref.load();
            assertThat(source.target(ref)).as("the target without the image, " + ref.name()).isEqualTo(s.mask());
            assertThat(s.height()).as(ref.name()).isEqualTo(g.get("height").getAsInt());
            assertThat(s.width()).as(ref.name()).isEqualTo(g.get("width").getAsInt());
            assertThat(s.maskArea()).as(ref.name()).isEqualTo(g.get("area").getAsInt());
            JsonArray box = g.getAsJsonArray("box");
            BoxPrompt b = s.box();
            assertThat(new double[] {b.x0(), b.y0(), b.x1(), b.y1()}).as(ref.name()).containsExactly(
                    box.get(0).getAsDouble(), box.get(1).getAsDouble(), box.get(2).getAsDouble(), box.get(3).getAsDouble());
            if (sums) {
                double want = g.get("image_sum").getAsDouble();
                assertThat(s.imageSumOverMask()).as(ref.name()).isCloseTo(want, within(Math.abs(want) * 1e-3 + 1e-6));
            }
        }
    }

    @Test
    void bratsCaseFoldersMatchGolden() throws IOException {
        Path dir = VOLUMES.resolve("brats");
        SampleSource source = SampleSources.open(dir, SourceOptions.defaults());
        assertThat(source.format()).isEqualTo("BraTS");
        assertGolden(source, golden(dir.resolve("golden.json")), true);
        assertThat(source.notes()).anyMatch(n -> n.contains("labels present: 1, 2, 3"));
    }

    @Test
    void decathlonTaskMatchesGolden() throws IOException {
        Path dir = VOLUMES.resolve("msd-task01");
        SampleSource source = SampleSources.open(dir, SourceOptions.defaults());
        assertThat(source.format()).isEqualTo("Decathlon Task01");
        assertGolden(source, golden(dir.resolve("golden.json")), true);
        // the same channel chosen by number
        SourceOptions byChannel = new SourceOptions("decathlon", "2", "wt", "tumour", 1, null);
        assertGolden(SampleSources.open(dir, byChannel), golden(dir.resolve("golden.json")), true);
    }

    @Test
    void pngFolderMatchesGolden() throws IOException {
        Path dir = VOLUMES.resolve("png");
        SampleSource source = SampleSources.open(dir, SourceOptions.defaults());
        assertThat(source.format()).isEqualTo("PNG");
        JsonObject g = JsonParser.parseString(Files.readString(dir.resolve("golden.json"))).getAsJsonObject();
        Map<String, JsonObject> golden = new TreeMap<>();
        for (JsonElement s : g.getAsJsonArray("slices")) {
            golden.put(s.getAsJsonObject().get("file").getAsString(), s.getAsJsonObject());
        }
        assertGolden(source, golden, false);
        assertThat(source.scan(false).patients()).hasSize(golden.size()); // each file its own patient
    }
}
