package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.Reference;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import io.samtune.train.RunDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training, resuming and scoring on the BraTS phantoms and a PNG folder, with the tiny model. */
class OwnDataTrainTest {

    @TempDir
    Path tmp;

    List<String> common(Path data, Path out) {
        return new java.util.ArrayList<>(List.of("--data", data.toString(),
                "--checkpoint", Reference.file("tiny-sam.pth").toString(),
                "--config", Reference.file("tiny-sam-config.json").toString(),
                "--cache", tmp.resolve("cache").toString(), "--device", "cpu", "--out", out.toString(),
                "--batch-size", "2", "--lr", "3e-3", "--seed", "5"));
    }

    @Test
    void trainsResumesAndScoresOnBratsCaseFolders() throws Exception {
        Path brats = Fixtures.phantomVolumes().resolve("brats");
        Path run = tmp.resolve("run");
        List<String> a = common(brats, run);
        a.addAll(List.of("--steps", "4", "--window", "volume", "--labels", "wt"));
        CommandResult first = CommandResult.of(TrainCommand::run, a.toArray(String[]::new));
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(run.resolve(RunDirectory.DECODER_BEST)).isRegularFile();
        JsonObject info = new RunDirectory(run).readRunInfo();
        // no case in two parts of the split
        Map<String, String> partOf = new HashMap<>();
        for (String part : List.of("train", "validation", "test")) {
            JsonArray files = info.getAsJsonArray(part);
            if (files == null) {
                continue;
            }
            for (JsonElement f : files) {
                String pid = f.getAsJsonObject().get("pid").getAsString();
                assertThat(f.getAsJsonObject().get("file").getAsString()).startsWith(pid + "/z");
                String before = partOf.putIfAbsent(pid, part);
                assertThat(before == null || before.equals(part)).as(pid + " in " + before + " and " + part).isTrue();
            }
        }
        assertThat(partOf).hasSize(4);
        // the settings that read the folder are recorded, and a resume takes them up
        String settings = Files.readString(run.resolve(RunDirectory.RUN));
        assertThat(settings).contains("\"window\": \"volume\"");
        List<String> more = common(brats, run);
        more.addAll(List.of("--steps", "6", "--window", "volume", "--resume"));
        CommandResult resumed = CommandResult.of(TrainCommand::run, more.toArray(String[]::new));
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(new RunDirectory(run).readMetrics().stream().filter(o -> o.has("loss")).count()).isEqualTo(6);

        CommandResult scored = CommandResult.of(TestAccuracyCommand::run, "--data", brats.toString(),
                "--checkpoint", Reference.file("tiny-sam.pth").toString(),
                "--config", Reference.file("tiny-sam-config.json").toString(), "--cache", tmp.resolve("cache").toString(),
                "--device", "cpu", "--decoder", run.toString(), "--window", "volume", "--out",
                tmp.resolve("report").toString());
        assertThat(scored.exit()).as(scored.err()).isZero();
        assertThat(Files.readString(tmp.resolve("report/per-slice.csv"))).containsPattern("BraTS-GLI-4100\\d-000/z0\\d\\d,,,");
    }

    @Test
    void trainsOnAPngFolderAndPredictsEveryImage() throws Exception {
        Path png = Fixtures.phantomVolumes().resolve("png");
        Path run = tmp.resolve("png-run");
        List<String> a = common(png, run);
        a.addAll(List.of("--steps", "2"));
        CommandResult r = CommandResult.of(TrainCommand::run, a.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err() + r.out()).contains("PNG");
        CommandResult p = CommandResult.of(PredictCommand::run, "--data", png.toString(),
                "--checkpoint", Reference.file("tiny-sam.pth").toString(),
                "--config", Reference.file("tiny-sam-config.json").toString(), "--device", "cpu",
                "--decoder", run.toString(), "--out", tmp.resolve("masks").toString());
        assertThat(p.exit()).as(p.err()).isZero();
        assertThat(tmp.resolve("masks/images/case_4100.png")).isRegularFile();
        assertThat(Files.readString(tmp.resolve("masks/predictions.csv")).lines()).hasSize(9);
        // without --config the run's recorded sizes are used, not a guess from the checkpoint (whose decoder head
        // count is not in the weights): the same logits as with --config; the decoder file alone gives others
        Path image = png.resolve("images/case_4100.png");
        float[] sized = logits(predictOne(image, run, true, "sized.npz"));
        assertThat(logits(predictOne(image, run, false, "recorded.npz"))).containsExactly(sized);
        assertThat(logits(predictOne(image, run.resolve(RunDirectory.DECODER_BEST), false, "guessed.npz")))
                .isNotEqualTo(sized);
        JsonObject settings = JsonParser.parseString(Files.readString(run.resolve(RunDirectory.RUN))).getAsJsonObject();
        assertThat(settings.toString()).contains(png.toString());
    }

    @Test
    void resumingOnOtherDataNamesBothFolders() throws Exception {
        Path png = Fixtures.phantomVolumes().resolve("png");
        Path demo = Fixtures.demo();
        Path run = tmp.resolve("moved-run");
        List<String> a = common(png, run);
        a.addAll(List.of("--steps", "1", "--checkpoint-every", "1"));
        CommandResult first = CommandResult.of(TrainCommand::run, a.toArray(String[]::new));
        assertThat(first.exit()).as(first.err()).isZero();
        List<String> b = common(demo, run);
        b.addAll(List.of("--steps", "2", "--resume"));
        CommandResult other = CommandResult.of(TrainCommand::run, b.toArray(String[]::new));
        assertThat(other.exit()).isNotZero();
        assertThat(other.err()).contains("trained on " + png).contains("given " + demo);
    }

    Path predictOne(Path image, Path decoder, boolean config, String name) {
        List<String> a = new java.util.ArrayList<>(List.of("--image", image.toString(), "--box", "100,70,190,130",
                "--checkpoint", Reference.file("tiny-sam.pth").toString(), "--device", "cpu",
                "--decoder", decoder.toString(), "--out", tmp.resolve(name).toString()));
        if (config) {
            a.addAll(List.of("--config", Reference.file("tiny-sam-config.json").toString()));
        }
        CommandResult r = CommandResult.of(PredictCommand::run, a.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        return tmp.resolve(name);
    }

    static float[] logits(Path npz) throws Exception {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu());
             java.io.InputStream in = Files.newInputStream(npz)) {
            ai.djl.ndarray.NDList list = ai.djl.ndarray.NDList.decode(m, in);
            return list.get("low_res_logits") != null ? list.get("low_res_logits").toFloatArray()
                    : list.get(list.size() - 1).toFloatArray();
        }
    }
}
