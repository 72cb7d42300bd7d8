package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every phantom slice, both formats, against {@code golden.json}. */
class GoldenPhantomTest {

    static Stream<JsonObject> golden() throws Exception {
        JsonObject root = JsonParser.parseString(Files.readString(Fixtures.phantoms().resolve("golden.json")))
                .getAsJsonObject();
        List<JsonObject> slices = new ArrayList<>();
        root.getAsJsonArray("slices").forEach(e -> slices.add(e.getAsJsonObject()));
        assertThat(slices).hasSize(24);
        return slices.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("golden")
    void matchesGolden(JsonObject g) throws Exception {
        Path file = Fixtures.phantoms().resolve(g.get("file").getAsString());
        BrainTumorSlice s = MatSliceReader.read(file);

        assertThat(s.format().label()).isEqualTo(g.get("format").getAsString());
        assertThat(MatSliceReader.detectFormat(file)).isEqualTo(s.format());
        assertThat(s.label().code()).isEqualTo(g.get("label").getAsInt());
        assertThat(s.patientId()).isEqualTo(g.get("pid").getAsString());
        assertThat(s.height()).isEqualTo(g.get("height").getAsInt());
        assertThat(s.width()).isEqualTo(g.get("width").getAsInt());
        assertThat(s.maskArea()).isEqualTo(g.get("mask_area").getAsInt());
        JsonArray box = g.getAsJsonArray("box_xyxy");
        assertThat(s.box().toArray()).containsExactly(box.get(0).getAsDouble(), box.get(1).getAsDouble(),
                box.get(2).getAsDouble(), box.get(3).getAsDouble());
        JsonArray c = g.getAsJsonArray("centroid_xy");
        assertThat(s.centroid().x()).isCloseTo(c.get(0).getAsDouble(), within(1e-6));
        assertThat(s.centroid().y()).isCloseTo(c.get(1).getAsDouble(), within(1e-6));
        assertThat(s.borderVertexCount()).isEqualTo(g.get("border_vertices").getAsInt());
        JsonArray bb = g.getAsJsonArray("border_box_xyxy");
        double[] borderBox = BoxPrompt.fromBorder(s.border()).toArray();
        for (int i = 0; i < 4; i++) {
            assertThat(borderBox[i]).isCloseTo(bb.get(i).getAsDouble(), within(1e-9));
        }
        assertThat(s.imageMin()).isEqualTo(g.get("image_min").getAsInt());
        assertThat(s.imageMax()).isEqualTo(g.get("image_max").getAsInt());
        assertThat(s.imageSum()).isEqualTo(g.get("image_sum").getAsLong());

        SliceInfo info = MatSliceReader.readInfo(file);
        assertThat(info.label()).isEqualTo(s.label());
        assertThat(info.patientId()).isEqualTo(s.patientId());
        assertThat(info.height()).isEqualTo(s.height());
        assertThat(info.width()).isEqualTo(s.width());
    }
}
