package io.samtune.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.config.DataConfig;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same spec gives the same trials: grid values crossed, the rest drawn from the seed, applied to the base. */
class SweepSpecTest {

    @TempDir
    Path tmp;

    static String spec(String base) {
        return "{\"base\": " + base + ", \"space\": {\"lr\": {\"loguniform\": [1e-5, 1e-2]},"
                + " \"loss\": {\"choice\": [\"dice\", \"dice+bce\"]}, \"boxJitter\": {\"int\": [0, 10]},"
                + " \"batch-size\": {\"grid\": [2, 4]}}, \"samples\": 3, \"seed\": 7, \"metric\": \"valDice\","
                + " \"mode\": \"max\", \"scheduler\": {\"type\": \"asha\", \"maxEpochs\": 20, \"gracePeriod\": 2,"
                + " \"reductionFactor\": 3}}";
    }

    static String base() {
        return TrainingConfig.builder().optData(DataConfig.builder().setFolder(Path.of("data")).build()).build().toJson()
                .toString();
    }

    @Test
    void theSameSpecGivesTheSameTrialsWithTheValuesApplied() {
        SweepSpec s = SweepSpec.fromJson(JsonParser.parseString(spec(base())), tmp);
        List<Trial> trials = s.trials();
        assertThat(trials).hasSize(2 * 3);
        assertThat(SweepSpec.fromJson(JsonParser.parseString(spec(base())), tmp).trials())
                .extracting(Trial::parameters).containsExactlyElementsOf(trials.stream().map(Trial::parameters).toList());
        assertThat(trials.stream().map(t -> t.parameters().get("batch-size").getAsInt()).toList())
                .containsExactly(2, 2, 2, 4, 4, 4);
        for (Trial t : trials) {
            JsonObject p = t.parameters();
            double lr = p.get("lr").getAsDouble();
            assertThat(lr).isBetween(1e-5, 1e-2);
            assertThat(t.config().optimization().learningRate()).isEqualTo(lr);
            assertThat(t.config().optimization().loss().label()).isEqualTo(p.get("loss").getAsString());
            assertThat(t.config().data().boxJitter()).isEqualTo(p.get("boxJitter").getAsInt()).isBetween(0, 10);
            assertThat(t.config().optimization().batchSize()).isEqualTo(p.get("batch-size").getAsInt());
            assertThat(t.config().schedule().epochs()).isEqualTo(20);
        }
        assertThat(trials.stream().map(t -> t.parameters().get("lr").getAsDouble()).distinct()).hasSize(6);
        assertThat(trials.get(4).folderName()).isEqualTo("trial-004");
        assertThat(s.scheduler()).isEqualTo("asha");
        assertThat(s.maximize()).isTrue();
    }

    @Test
    void adapterRankAlphaAndBlocksAreSweepable() {
        String withAdapter = TrainingConfig.builder().optData(DataConfig.builder().setFolder(Path.of("data")).build())
                .optModel(io.samtune.core.config.ModelConfig.builder().setCheckpoint(Path.of("sam.pth"))
                        .optAdapter(io.samtune.core.model.LoraConfig.lastBlocks(2)).build()).build().toJson().toString();
        String spec = "{\"base\": " + withAdapter + ", \"space\": {\"lora-rank\": {\"grid\": [2, 8]},"
                + " \"lora-alpha\": {\"grid\": [16]}, \"lora-blocks\": {\"grid\": [\"1\", \"9,10,11\"]}}}";
        List<Trial> trials = SweepSpec.fromJson(JsonParser.parseString(spec), tmp).trials();
        assertThat(trials).hasSize(4);
        assertThat(trials.stream().map(t -> t.config().model().adapter().toString()).toList()).containsExactly(
                "LoRA[rank 2, alpha 16, blocks 1, targets q,v]", "LoRA[rank 2, alpha 16, blocks 9,10,11, targets q,v]",
                "LoRA[rank 8, alpha 16, blocks 1, targets q,v]", "LoRA[rank 8, alpha 16, blocks 9,10,11, targets q,v]");
        // a base without adapters cannot sweep them
        String plain = "{\"base\": " + base() + ", \"space\": {\"lora-rank\": {\"grid\": [2]}}}";
        assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(plain), tmp).trials())
                .hasMessageContaining("space.lora-rank needs adapters in sweep.base");
    }

    @Test
    void theBaseMayBeARunsRunJson() throws Exception {
        JsonObject run = new JsonObject();
        run.add("settings", JsonParser.parseString(base()));
        Files.writeString(tmp.resolve("run.json"), run.toString());
        Path file = Files.writeString(tmp.resolve("sweep.json"), spec("\"run.json\""));
        SweepSpec s = SweepSpec.read(file);
        assertThat(s.base().data().folder()).isEqualTo(Path.of("data"));
        assertThat(s.trials().get(0).config().optimization()).isNotEqualTo(OptimizationConfig.defaults());
    }

    @Test
    void mistakesAreRefusedByName() {
        String bad = spec(base()).replace("\"lr\"", "\"learning-speed\"");
        assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(bad), tmp))
                .hasMessageContaining("space.learning-speed is not a train option");
        String range = spec(base()).replace("[1e-5, 1e-2]", "[0, 1e-2]");
        assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(range), tmp))
                .hasMessageContaining("space.lr").hasMessageContaining("low > 0");
        String typo = spec(base()).replace("\"samples\"", "\"sample\"");
        assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(typo), tmp))
                .hasMessageContaining("unknown setting [sample] in 'sweep'");
        assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString("{\"space\": {}}"), tmp))
                .hasMessageContaining("sweep.base is missing");
    }

    @Test
    void aBaseThatIsAPipeADeviceOrHugeIsRefusedWithoutReadingIt() throws Exception {
        Path fifo = tmp.resolve("base.fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        for (String base : new String[] {fifo.toString(), "/dev/zero", tmp.toString()}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(
                    spec("\"" + base + "\"")), tmp)).hasMessageContaining("sweep.base " + base)
                    .hasMessageContaining("not a regular file");
        }
        java.nio.file.Path big = tmp.resolve("big.json");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(SweepSpec.MAX_BASE_BYTES + 1);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(
                spec("\"big.json\"")), tmp)).hasMessageContaining("more than a run's settings");
    }

    @Test
    void specsMakingMoreTrialsThanASweepRunsAreRefusedBeforeAnyIsMade() {
        String huge = "{\"base\": " + base() + ", \"samples\": 2000000000, \"space\": {\"lr\": {\"loguniform\": [1e-5, 1e-2]}}}";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(huge), tmp))
                .hasMessageContaining("more than " + SweepSpec.MAX_TRIALS + " trials (1 grid points x 2000000000 samples)");
        StringBuilder grid = new StringBuilder("[");
        for (int i = 0; i < 750; i++) {
            grid.append(i == 0 ? "" : ", ").append(1e-5 * (i + 1));
        }
        grid.append("]");
        StringBuilder ints = new StringBuilder("[");
        for (int i = 0; i < 750; i++) {
            ints.append(i == 0 ? "" : ", ").append(i);
        }
        ints.append("]");
        String space = "{\"lr\": {\"grid\": " + grid + "}, \"weightDecay\": {\"grid\": " + grid + "}, \"seed\": {\"grid\": "
                + ints + "}, \"warmup\": {\"grid\": " + ints + "}}";
        String crossed = "{\"base\": " + base() + ", \"space\": " + space + "}";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SweepSpec.fromJson(JsonParser.parseString(crossed), tmp))
                .hasMessageContaining("over " + SweepSpec.MAX_TRIALS + " grid points");
        String fits = "{\"base\": " + base() + ", \"samples\": 10, \"space\": {\"lr\": {\"grid\": [1e-4, 1e-3]}}}";
        org.assertj.core.api.Assertions.assertThat(SweepSpec.fromJson(JsonParser.parseString(fits), tmp).trials()).hasSize(20);
    }
}
