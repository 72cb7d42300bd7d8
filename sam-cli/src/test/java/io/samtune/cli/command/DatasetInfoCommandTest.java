package io.samtune.cli.command;

import io.samtune.data.CommandResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.data.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetInfoCommandTest {

    @TempDir
    Path tmp;

    static CommandResult run(String... args) {
        return CommandResult.of(DatasetInfoCommand::run, args);
    }

    @Test
    void jsonLinesReproduceGolden() throws Exception {
        CommandResult r = run("--data", Fixtures.phantoms().toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();

        Map<String, JsonObject> golden = new HashMap<>();
        JsonParser.parseString(Files.readString(Fixtures.phantoms().resolve("golden.json"))).getAsJsonObject()
                .getAsJsonArray("slices").forEach(e -> golden.put(e.getAsJsonObject().get("file").getAsString(),
                        e.getAsJsonObject()));
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(24);
        List<String> files = new ArrayList<>();
        for (String line : lines) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            assertThat(o.keySet()).containsExactly("id", "file", "slice", "format", "label", "patient", "height", "width",
                    "maskArea", "box", "centroid", "imageSum");
            assertThat(o.get("slice").isJsonNull()).isTrue();
            assertThat(o.get("id").getAsString()).isEqualTo(o.get("file").getAsString());
            JsonObject g = golden.get(o.get("file").getAsString());
            files.add(o.get("file").getAsString());
            assertThat(o.get("format").getAsString()).isEqualTo(g.get("format").getAsString());
            assertThat(o.get("label").getAsInt()).isEqualTo(g.get("label").getAsInt());
            assertThat(o.get("patient").getAsString()).isEqualTo(g.get("pid").getAsString());
            assertThat(o.get("height").getAsInt()).isEqualTo(g.get("height").getAsInt());
            assertThat(o.get("width").getAsInt()).isEqualTo(g.get("width").getAsInt());
            assertThat(o.get("maskArea").getAsInt()).isEqualTo(g.get("mask_area").getAsInt());
            assertThat(o.getAsJsonArray("box")).isEqualTo(g.getAsJsonArray("box_xyxy"));
            JsonArray c = o.getAsJsonArray("centroid");
            JsonArray gc = g.getAsJsonArray("centroid_xy");
            assertThat(c.get(0).getAsDouble()).isCloseTo(gc.get(0).getAsDouble(), within(1e-6));
            assertThat(c.get(1).getAsDouble()).isCloseTo(gc.get(1).getAsDouble(), within(1e-6));
        }
        assertThat(files.subList(0, 3)).containsExactly("1.mat", "2.mat", "3.mat");
        assertThat(r.err()).contains("24 valid slices of 24 files, 8 patients; meningioma 8; glioma 8; pituitary 8")
                .contains("256x256: 2, 512x512: 22").contains("v5: 3, v7.3: 21");
    }

    @Test
    void tableWithoutJson() {
        CommandResult r = run("--data", Fixtures.demo().toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines().toList()).hasSize(14);
        assertThat(r.out()).contains("1.mat").contains("meningioma").contains("262,105,338,183");
    }

    @Test
    void invalidFilesFailUnlessSkipped() throws Exception {
        Files.copy(Fixtures.phantoms().resolve("1.mat"), tmp.resolve("1.mat"));
        Files.write(tmp.resolve("2.mat"), new byte[0]);
        Files.writeString(tmp.resolve("3.mat"), "hello");

        CommandResult failing = run("--data", tmp.toString(), "--json");
        assertThat(failing.exit()).isEqualTo(1);
        assertThat(failing.out().lines().toList()).hasSize(1);
        assertThat(failing.err()).contains("invalid: " + tmp.resolve("2.mat") + ": file is empty")
                .contains("invalid: " + tmp.resolve("3.mat") + ": not a MAT-file")
                .contains("2 invalid file(s)").contains("--skip-invalid");

        CommandResult skipping = run("--data", tmp.toString(), "--json", "--skip-invalid");
        assertThat(skipping.exit()).isZero();
        assertThat(skipping.err()).contains("skipped: " + tmp.resolve("2.mat")).contains("skipped: " + tmp.resolve("3.mat"));
    }

    @Test
    void missingFolderAndBadOptions() {
        CommandResult missing = run("--data", tmp.resolve("nope").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("does not exist");

        CommandResult usage = run("--json");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required option: '--data=DIR'");

        CommandResult unknown = run("--data", tmp.toString(), "--frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown option: '--frobnicate'");
    }
}
