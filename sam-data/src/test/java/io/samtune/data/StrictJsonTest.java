package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users' JSON: duplicates, deep nesting, lenient syntax and wrong types refused in plain words. */
class StrictJsonTest {

    @TempDir
    Path tmp;

    @Test
    void standardJsonReadsAsGsonReadsIt() {
        String text = "{\"a\": [1, 2.5, -3e2, true, null, \"x\"], \"b\": {\"c\": {}}, \"d\": 12345678901234567890}";
        assertThat(StrictJson.parse(text)).isEqualTo(JsonParser.parseString(text));
    }

    @Test
    void aKeyGivenTwiceIsRefusedByName() {
        assertThatThrownBy(() -> StrictJson.parse("{\"merge\": \"mean\", \"syncEvery\": 5, \"merge\": \"geomedian\"}"))
                .hasMessageContaining("the key \"merge\" is given twice in one object").hasMessageContaining("line 1");
        assertThatThrownBy(() -> StrictJson.parse("{\"space\": {\"lr\": 1, \"lr\": 2}}"))
                .hasMessageContaining("\"lr\" is given twice").hasMessageContaining("$.space");
        // the same key in two objects is fine
        assertThat(StrictJson.parse("[{\"a\": 1}, {\"a\": 2}]").getAsJsonArray()).hasSize(2);
    }

    @Test
    void deepNestingLenientSyntaxAndTrailingTextAreSaidInPlainWords() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> StrictJson.parse(deep)).hasMessageContaining("nested more than 64 levels deep")
                .hasMessageNotContaining("Exception").hasMessageNotContaining("http");
        assertThat(StrictJson.parse("[".repeat(64) + "]".repeat(64)).isJsonArray()).isTrue();
        for (String bad : new String[] {"{'a': 1}", "{a: 1}", "{\"a\": 1,}", "// c\n{}", "{\"a\": 1} x", "{\"a\": NaN}",
            "{\"a\": ", ""}) {
            assertThatThrownBy(() -> StrictJson.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not valid JSON").hasMessageNotContaining("com.google")
                    .hasMessageNotContaining("http").hasMessageNotContaining("Exception");
        }
    }

    @Test
    void filesAreCheckedBeforeTheyAreRead() throws Exception {
        Path f = Files.writeString(tmp.resolve("f.json"), "{\"a\": 1, \"a\": 2}");
        assertThatThrownBy(() -> StrictJson.read(f)).hasMessageStartingWith(f + ": the key \"a\" is given twice");
        assertThatThrownBy(() -> StrictJson.read(tmp)).hasMessageContaining("is not a regular file");
        assertThatThrownBy(() -> StrictJson.read(Path.of("/dev/zero"))).hasMessageContaining("is not a regular file");
        assertThatThrownBy(() -> StrictJson.read(tmp.resolve("none.json"))).hasMessageContaining("file not found");
        Path pem = Files.writeString(tmp.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        assertThatThrownBy(() -> StrictJson.read(pem)).hasMessageStartingWith(pem + ": not valid JSON");
    }

    @Test
    void valuesOfTheWrongTypeAreRefusedByName() {
        ConfigJson quoted = new ConfigJson("federation", JsonParser.parseString("{\"syncEvery\": \"5\"}"));
        assertThatThrownBy(() -> quoted.int32("syncEvery", 1))
                .hasMessageContaining("setting federation.syncEvery must be a whole number (without quotes), got \"5\"");
        ConfigJson lr = new ConfigJson("optimization", JsonParser.parseString("{\"lr\": \"1e-3\", \"nan\": \"NaN\"}"));
        assertThatThrownBy(() -> lr.number("lr", 1)).hasMessageContaining("must be a number (without quotes)");
        assertThat(lr.number("nan", 1)).isNaN();
        ConfigJson name = new ConfigJson("data", JsonParser.parseString("{\"window\": 5, \"ok\": true}"));
        assertThatThrownBy(() -> name.string("window", "minmax")).hasMessageContaining("must be a string (in quotes), got 5");
        assertThatThrownBy(() -> name.int32("ok", 1)).hasMessageContaining("must be a whole number");
    }
}
