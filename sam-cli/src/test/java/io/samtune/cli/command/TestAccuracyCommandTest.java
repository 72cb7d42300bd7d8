package io.samtune.cli.command;

import io.samtune.data.CommandResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.data.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestAccuracyCommandTest {

    @TempDir
    Path tmp;

    static CommandResult run(String... args) {
        return CommandResult.of(TestAccuracyCommand::run, args);
    }

    static Path reference(String name) {
        return Fixtures.root().resolve("testdata/reference").resolve(name);
    }

    private List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", Fixtures.phantoms().toString(),
                "--checkpoint", reference("tiny-sam.pth").toString(), "--config", reference("tiny-sam-config.json").toString(),
                "--cache", tmp.resolve("cache").toString(), "--device", "cpu", "--out", out.toString(), "--split-seed", "5"));
        a.addAll(List.of(extra));
        return a;
    }

    /** A decoder that differs from the base one: the base decoder with its mask tokens shifted. */
    private Path alteredDecoder() throws Exception {
        Path f = tmp.resolve("altered.safetensors");
        try (SamModel m = SamModel.load(reference("tiny-sam.pth"), SamConfig.fromJson(reference("tiny-sam-config.json")),
                Device.cpu())) {
            m.weights().get("mask_decoder.mask_tokens.weight").addi(0.5f);
            m.weights().get("mask_decoder.output_upscaling.3.bias").addi(0.3f);
            m.saveDecoder(f, Map.of());
        }
        return f;
    }

    @Test
    void reportMatchesItsPerSliceCsvAndCheckpointsDiffer() throws Exception {
        Path out = tmp.resolve("report");
        Path decoder = alteredDecoder();
        CommandResult r = run(args(out, "--decoder", decoder.toString(), "--split", "all").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("scoring 24 all slices").contains("zero-shot").contains("mean Dice +- std");

        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        assertThat(report.keySet()).containsExactly("results", "prompt", "split", "basis", "scoredSlices");
        assertThat(report.get("prompt").getAsString()).isEqualTo("box");
        JsonArray results = report.getAsJsonArray("results");
        assertThat(results).hasSize(2);
        assertThat(results.get(0).getAsJsonObject().get("decoder").isJsonNull()).isTrue();

        Map<String, List<double[]>> byCheckpoint = new HashMap<>();
        List<String> lines = Files.readAllLines(out.resolve("per-slice.csv"));
        assertThat(lines.get(0)).isEqualTo("file,label,tumour,pid,checkpoint,dice,iou,hd95");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            assertThat(f[2]).isEqualTo(io.samtune.data.TumorType.fromCode(Integer.parseInt(f[1])).displayName());
            byCheckpoint.computeIfAbsent(f[4], k -> new ArrayList<>())
                    .add(new double[] {Double.parseDouble(f[5]), Double.parseDouble(f[6]), Integer.parseInt(f[1])});
        }
        for (int i = 0; i < 2; i++) {
            JsonObject res = results.get(i).getAsJsonObject();
            assertThat(res.keySet()).containsExactly("name", "decoder", "slices", "meanDice", "stdDice", "globalDice",
                    "meanIoU", "meanHd95", "perClass", "perPatient");
            List<double[]> rows = byCheckpoint.get(res.get("name").getAsString());
            assertThat(rows).hasSize(24);
            assertThat(res.get("slices").getAsInt()).isEqualTo(24);
            double mean = rows.stream().mapToDouble(v -> v[0]).average().orElseThrow();
            double std = Math.sqrt(rows.stream().mapToDouble(v -> (v[0] - mean) * (v[0] - mean)).average().orElseThrow());
            assertThat(res.get("meanDice").getAsDouble()).isCloseTo(mean, within(1e-12));
            assertThat(res.get("stdDice").getAsDouble()).isCloseTo(std, within(1e-12));
            assertThat(res.get("meanIoU").getAsDouble()).isCloseTo(rows.stream().mapToDouble(v -> v[1]).average()
                    .orElseThrow(), within(1e-12));
            double glioma = rows.stream().filter(v -> v[2] == 2).mapToDouble(v -> v[0]).average().orElseThrow();
            assertThat(res.getAsJsonObject("perClass").getAsJsonObject("glioma").get("meanDice").getAsDouble())
                    .isCloseTo(glioma, within(1e-12));
            assertThat(res.getAsJsonObject("perClass").getAsJsonObject("glioma").get("slices").getAsInt()).isEqualTo(8);
        }
        assertThat(results.get(0).getAsJsonObject().get("meanDice").getAsDouble())
                .isNotEqualTo(results.get(1).getAsJsonObject().get("meanDice").getAsDouble());

        for (String png : List.of("dice-per-type.png", "overlay-zero-shot-best.png", "overlay-zero-shot-worst.png")) {
            assertThat(ImageIO.read(out.resolve(png).toFile())).as(png).isNotNull();
        }
        try (var s = Files.list(out)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("overlay-")).count()).isEqualTo(4);
        }
    }

    @Test
    void clearErrors() throws Exception {
        Path out = tmp.resolve("r");
        CommandResult missing = run("--data", tmp.resolve("nope").toString(), "--checkpoint", reference("tiny-sam.pth").toString(),
                "--out", out.toString(), "--device", "cpu");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("does not exist");

        CommandResult empty = run(args(out, "--split", "val", "--val-fraction", "0").toArray(String[]::new));
        assertThat(empty.exit()).isEqualTo(1);
        assertThat(empty.err()).contains("the val part").contains("is empty");

        CommandResult wrong = run(args(out, "--decoder", reference("decoder-vitb-random.pth").toString()).toArray(String[]::new));
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("decoder-vitb-random.pth").contains("does not fit the model");

        CommandResult noRun = run(args(out, "--decoder", tmp.toString()).toArray(String[]::new));
        assertThat(noRun.exit()).isEqualTo(1);
        assertThat(noRun.err()).contains("is not a train run folder");

        CommandResult badPrompt = run(args(out, "--prompt", "lasso").toArray(String[]::new));
        assertThat(badPrompt.exit()).isEqualTo(2);
        assertThat(badPrompt.err()).contains("unknown prompt 'lasso'");
    }

    @Test
    void reportNamesAreUniqueEvenWhenRunFoldersShareANameOrAFileIsGivenTwice() {
        List<Path> files = List.of(Path.of("/a/exp1/run/decoder-best.safetensors"),
                Path.of("/b/exp2/run/decoder-best.safetensors"), Path.of("/c/other/decoder-best.safetensors"),
                Path.of("/c/other/decoder-best.safetensors"));
        assertThat(TestAccuracyCommand.uniqueNames(files)).containsExactly("exp1/run/decoder-best",
                "exp2/run/decoder-best", "other/decoder-best", "other/decoder-best #2");
    }
}
