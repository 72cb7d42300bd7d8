package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@code dataset-info --json --samples} on the BraTS, Decathlon and PNG phantoms reproduces their golden slices. */
class DatasetInfoVolumesTest {

    static final Path VOLUMES = Fixtures.phantomVolumes();

    static Map<String, JsonObject> samples(CommandResult r) {
        assertThat(r.exit()).as(r.err()).isZero();
        Map<String, JsonObject> out = new TreeMap<>();
        r.out().lines().forEach(l -> {
            JsonObject o = JsonParser.parseString(l).getAsJsonObject();
            out.put(o.get("id").getAsString(), o);
        });
        return out;
    }

    static void assertVolumesGolden(String layout, String expectedFormat) throws Exception {
        Path dir = VOLUMES.resolve(layout);
        CommandResult r = CommandResult.of(DatasetInfoCommand::run, "--data", dir.toString(), "--json", "--samples");
        Map<String, JsonObject> got = samples(r);
        assertThat(r.err()).contains("reading " + expectedFormat + " data in " + dir)
                .contains("orientations found: RAS").contains("labels present:");
        JsonObject g = JsonParser.parseString(Files.readString(dir.resolve("golden.json"))).getAsJsonObject();
        int expected = 0;
        for (JsonElement c : g.getAsJsonArray("cases")) {
            String id = c.getAsJsonObject().get("case").getAsString();
            for (JsonElement e : c.getAsJsonObject().getAsJsonArray("slices")) {
                JsonObject s = e.getAsJsonObject();
                int k = s.get("k").getAsInt();
                JsonObject o = got.get(String.format("%s/z%03d", id, k));
                assertThat(o).as(id + " slice " + k).isNotNull();
                assertThat(o.get("patient").getAsString()).isEqualTo(id);
                assertThat(o.get("slice").getAsInt()).isEqualTo(k);
                assertThat(o.get("height").getAsInt()).isEqualTo(s.get("height").getAsInt());
                assertThat(o.get("width").getAsInt()).isEqualTo(s.get("width").getAsInt());
                assertThat(o.get("maskArea").getAsInt()).isEqualTo(s.get("area").getAsInt());
                assertThat(o.getAsJsonArray("box")).isEqualTo(s.getAsJsonArray("box"));
                double sum = s.get("image_sum").getAsDouble();
                assertThat(o.get("imageSum").getAsDouble()).isCloseTo(sum, within(Math.abs(sum) * 1e-3));
                assertThat(dir.resolve(o.get("file").getAsString())).isRegularFile();
                expected++;
            }
        }
        assertThat(got).hasSize(expected); // no slice that golden.json does not list
    }

    @Test
    void bratsFolders() throws Exception {
        assertVolumesGolden("brats", "BraTS");
    }

    @Test
    void decathlonTask() throws Exception {
        assertVolumesGolden("msd-task01", "Decathlon Task01");
    }

    @Test
    void pngFolder() throws Exception {
        Path dir = VOLUMES.resolve("png");
        Map<String, JsonObject> got = samples(CommandResult.of(DatasetInfoCommand::run, "--data", dir.toString(),
                "--json", "--samples"));
        JsonObject g = JsonParser.parseString(Files.readString(dir.resolve("golden.json"))).getAsJsonObject();
        assertThat(got).hasSize(g.getAsJsonArray("slices").size());
        for (JsonElement e : g.getAsJsonArray("slices")) {
            JsonObject s = e.getAsJsonObject();
            JsonObject o = got.get(s.get("file").getAsString());
            assertThat(o.get("file").getAsString()).isEqualTo(s.get("file").getAsString());
            assertThat(o.get("slice").isJsonNull()).isTrue();
            assertThat(o.get("maskArea").getAsInt()).isEqualTo(s.get("area").getAsInt());
            assertThat(o.getAsJsonArray("box")).isEqualTo(s.getAsJsonArray("box"));
        }
    }

    @Test
    void anUnknownLayoutAndAWrongModalityAreNamed() throws Exception {
        CommandResult none = CommandResult.of(DatasetInfoCommand::run, "--data", VOLUMES.resolve("brats")
                .resolve("BraTS-GLI-41000-000").toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("has none of the layouts samtune reads");
        CommandResult modality = CommandResult.of(DatasetInfoCommand::run, "--data", VOLUMES.resolve("brats").toString(),
                "--modality", "t1w");
        assertThat(modality.exit()).isEqualTo(1);
        assertThat(modality.err()).contains("--modality t1w is not a BraTS image; choose t1c, t1n, t2w or t2f");
        CommandResult t2f = CommandResult.of(DatasetInfoCommand::run, "--data", VOLUMES.resolve("brats").toString(),
                "--modality", "t2f", "--labels", "et", "--json");
        assertThat(t2f.exit()).as(t2f.err()).isZero();
        assertThat(t2f.err()).contains("target: et (labels [3, 4])");
        assertThat(t2f.out().lines().count()).isPositive().isLessThan(60);
    }
}
