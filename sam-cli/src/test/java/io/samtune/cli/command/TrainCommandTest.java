package io.samtune.cli.command;

import io.samtune.core.io.JavaProcess;
import io.samtune.train.RunDirectory;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.Reference;

import io.samtune.data.CommandResult;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.data.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    @TempDir
    Path tmp;

    static CommandResult run(String... args) {
        return CommandResult.of(TrainCommand::run, args);
    }

    private List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", Fixtures.phantoms().toString(),
                "--checkpoint", Reference.file("tiny-sam.pth").toString(),
                "--config", Reference.file("tiny-sam-config.json").toString(),
                "--cache", tmp.resolve("cache").toString(), "--device", "cpu", "--out", out.toString(),
                "--batch-size", "2", "--lr", "3e-3", "--seed", "11", "--box-jitter", "3"));
        a.addAll(List.of(extra));
        return a;
    }

    /**
     * Starts {@code train} in a process of its own, its output in {@code log}, and returns it once its
     * metrics log has {@code lines} lines, still training.
     */
    private Process trainUntil(Path out, Path log, int lines, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(JavaProcess.command(TrainCommand.class));
        cmd.addAll(args(out, extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path metrics = out.resolve(RunDirectory.METRICS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && p.isAlive()
                    && (!Files.exists(metrics) || Files.readAllLines(metrics).size() < lines)) {
                Thread.sleep(5);
            }
            assertThat(p.isAlive()).as("still training; log:%n%s", Files.readString(log)).isTrue();
            return p;
        } catch (Exception | AssertionError e) {
            p.destroyForcibly();
            throw e;
        }
    }

    @Test
    void resumeAfterSigkillEndsWithTheSameWeights() throws Exception {
        Path a = tmp.resolve("uninterrupted");
        CommandResult full = run(args(a, "--steps", "40").toArray(String[]::new));
        assertThat(full.exit()).as(full.err()).isZero();
        assertThat(full.out()).contains("TrainingResult[40 steps");

        Path b = tmp.resolve("killed");
        Process p = trainUntil(b, tmp.resolve("child.log"), 7, "--steps", "40", "--checkpoint-every", "1");
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);

        CommandResult fresh = run(args(b, "--steps", "40", "--checkpoint-every", "1").toArray(String[]::new));
        assertThat(fresh.exit()).isEqualTo(1);
        assertThat(fresh.err()).contains("already holds a training run").contains("--resume");
        assertThat(b.resolve(RunDirectory.STATE)).isRegularFile(); // the refused start changed nothing

        CommandResult resumed = run(args(b, "--steps", "40", "--checkpoint-every", "1", "--resume").toArray(String[]::new));
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming at step");
        assertThat(resumed.out()).contains("TrainingResult[40 steps");

        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             StateDict x = SamCheckpoint.load(a.resolve(RunDirectory.DECODER_LAST), m);
             StateDict y = SamCheckpoint.load(b.resolve(RunDirectory.DECODER_LAST), m)) {
            assertThat(y.keys()).isEqualTo(x.keys());
            double worst = 0;
            for (String k : x.keys()) {
                worst = Math.max(worst, x.get(k).sub(y.get(k)).abs().max().getFloat());
            }
            assertThat(worst).as("max |uninterrupted - resumed|").isZero();
        }
        assertThat(Files.mismatch(a.resolve(RunDirectory.DECODER_LAST), b.resolve(RunDirectory.DECODER_LAST)))
                .as("decoder files byte-equal").isEqualTo(-1L);
        List<JsonObject> lines = new RunDirectory(b).readMetrics();
        assertThat(lines.stream().filter(o -> o.has("loss")).map(o -> o.get("step").getAsLong()).toList())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList());
        // the fine-tuned decoder scores differently from the zero-shot one on the same test slices
        CommandResult scored = CommandResult.of(io.samtune.cli.command.TestAccuracyCommand::run, "--data",
                Fixtures.phantoms().toString(), "--checkpoint", Reference.file("tiny-sam.pth").toString(),
                "--config", Reference.file("tiny-sam-config.json").toString(), "--cache",
                tmp.resolve("cache").toString(), "--device", "cpu", "--decoder", a.toString(), "--out",
                tmp.resolve("report").toString());
        assertThat(scored.exit()).as(scored.err()).isZero();
        com.google.gson.JsonArray results = com.google.gson.JsonParser.parseString(
                Files.readString(tmp.resolve("report/report.json"))).getAsJsonObject().getAsJsonArray("results");
        assertThat(results.get(1).getAsJsonObject().get("meanDice").getAsDouble())
                .isNotEqualTo(results.get(0).getAsJsonObject().get("meanDice").getAsDouble());
        JsonObject run = new RunDirectory(b).readRunInfo();
        assertThat(run.get("seed").getAsLong()).isEqualTo(11);
        assertThat(run.getAsJsonArray("train").get(0).getAsJsonObject().get("sha256").getAsString()).hasSize(64);
        assertThat(run.get("checkpointSha256").getAsString()).hasSize(64);
    }

    @Test
    void optionsAndInputsAreValidated() throws Exception {
        Path out = tmp.resolve("run");
        CommandResult missing = run("--data", tmp.resolve("nope").toString(), "--out", out.toString(), "--device", "cpu");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("nope").contains("does not exist");

        List<String> wrong = args(out, "--steps", "1");
        wrong.set(wrong.indexOf("--config") + 1, tmp.resolve("vitb.json").toString());
        Files.writeString(tmp.resolve("vitb.json"), io.samtune.core.SamConfig.vitB().toJson().toString());
        CommandResult arch = run(wrong.toArray(String[]::new));
        assertThat(arch.exit()).isEqualTo(1);
        assertThat(arch.err()).contains("tiny-sam.pth").contains("does not fit the model");

        CommandResult unknown = run("--frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown option: '--frobnicate'");

        CommandResult both = run(args(out, "--epochs", "2", "--steps", "3").toArray(String[]::new));
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("give --epochs or --steps, not both");

        List<String> negative = args(out);
        negative.set(negative.indexOf("--lr") + 1, "-1");
        CommandResult lr = run(negative.toArray(String[]::new));
        assertThat(lr.exit()).isEqualTo(2);
        assertThat(lr.err()).contains("--lr must be positive").contains("see train --help");
        assertThat(lr.err().lines().count()).as(lr.err()).isEqualTo(2);

        CommandResult nothing = run(args(out, "--resume").toArray(String[]::new));
        assertThat(nothing.exit()).isEqualTo(1);
        assertThat(nothing.err()).contains("nothing to resume");
        assertThat(out).doesNotExist();
    }

    static java.util.Map<String, float[]> decoder(Path run) throws Exception {
        java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             StateDict d = SamCheckpoint.load(run.resolve(RunDirectory.DECODER_LAST), m)) {
            d.tensors().forEach((k, v) -> out.put(k, v.toFloatArray()));
        }
        return out;
    }

    /** The largest difference between two decoders' values (they must hold the same tensors). */
    static double maxDiff(java.util.Map<String, float[]> x, java.util.Map<String, float[]> y) {
        assertThat(y.keySet()).isEqualTo(x.keySet());
        double d = 0;
        for (var e : x.entrySet()) {
            float[] v = e.getValue();
            for (int i = 0; i < v.length; i++) {
                d = Math.max(d, Math.abs(v[i] - y.get(e.getKey())[i]));
            }
        }
        return d;
    }

    private static List<String> files(JsonObject run, String part) {
        List<String> out = new ArrayList<>();
        run.getAsJsonArray(part).forEach(e -> out.add(e.getAsJsonObject().get("file").getAsString()));
        return out;
    }

    @Test
    void aSavedRunJsonAloneStartsTheSameRunAndOptionsBesideItOverride() throws Exception {
        Path a = tmp.resolve("original");
        CommandResult first = run(args(a, "--steps", "6", "--warmup", "2", "--beta2", "0.99").toArray(String[]::new));
        assertThat(first.exit()).as(first.err()).isZero();

        Path b = tmp.resolve("again");
        CommandResult again = run("--settings", a.resolve(RunDirectory.RUN).toString(), "--out", b.toString());
        assertThat(again.exit()).as(again.err()).isZero();
        java.util.Map<String, float[]> x = decoder(a);
        java.util.Map<String, float[]> y = decoder(b);
        assertThat(y.keySet()).isEqualTo(x.keySet());
        x.forEach((k, v) -> assertThat(y.get(k)).as(k).containsExactly(v));
        JsonObject ra = new RunDirectory(a).readRunInfo();
        JsonObject rb = new RunDirectory(b).readRunInfo();
        assertThat(rb.get("settings")).isEqualTo(ra.get("settings"));

        Path c = tmp.resolve("override");
        CommandResult other = run("--settings", a.toString(), "--out", c.toString(), "--lr", "1e-3");
        assertThat(other.exit()).as(other.err()).isZero();
        JsonObject rc = new RunDirectory(c).readRunInfo();
        assertThat(rc.getAsJsonObject("settings").getAsJsonObject("optimization").get("learningRate").getAsDouble())
                .isEqualTo(1e-3);
        assertThat(rc.getAsJsonObject("settings").getAsJsonObject("optimization").get("beta2").getAsDouble())
                .isEqualTo(0.99);
        assertThat(decoder(c).get("mask_decoder.iou_token.weight")).isNotEqualTo(x.get("mask_decoder.iou_token.weight"));

        CommandResult missing = run("--settings", tmp.resolve("nowhere").toString(), "--out", tmp.resolve("x").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--settings").contains("nowhere");
    }

    @Test
    void theTrainingSeedKeepsTheTestPatients() throws Exception {
        Path s1 = tmp.resolve("seed1");
        Path s2 = tmp.resolve("seed2");
        Path split = tmp.resolve("split9");
        for (Path p : List.of(s1, s2)) {
            List<String> a = args(p, "--steps", "1");
            a.set(a.indexOf("--seed") + 1, p == s1 ? "1" : "2");
            CommandResult r = run(a.toArray(String[]::new));
            assertThat(r.exit()).as(r.err()).isZero();
        }
        CommandResult r = run(args(split, "--steps", "1", "--split-seed", "9").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        JsonObject one = new RunDirectory(s1).readRunInfo();
        JsonObject two = new RunDirectory(s2).readRunInfo();
        assertThat(one.get("seed").getAsLong()).isEqualTo(1);
        assertThat(two.get("seed").getAsLong()).isEqualTo(2);
        assertThat(files(two, "test")).isEqualTo(files(one, "test")).isNotEmpty();
        assertThat(files(two, "validation")).isEqualTo(files(one, "validation"));
        assertThat(files(new RunDirectory(split).readRunInfo(), "test")).isNotEqualTo(files(one, "test"));
    }

    @Test
    void aResumeOnOtherInputsIsRefusedNamingWhatDiffers() throws Exception {
        Path run = tmp.resolve("run");
        CommandResult first = run(args(run, "--steps", "4", "--checkpoint-every", "2").toArray(String[]::new));
        assertThat(first.exit()).as(first.err()).isZero();

        CommandResult split = run(args(run, "--steps", "6", "--resume", "--test-fraction", "0").toArray(String[]::new));
        assertThat(split.exit()).isEqualTo(1);
        assertThat(split.err()).contains("cannot resume").contains("split").contains("testFraction");

        Path fewer = tmp.resolve("fewer");
        Files.createDirectories(fewer);
        try (var files = Files.list(Fixtures.phantoms())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".mat")).sorted().skip(1).toList()) {
                Files.copy(f, fewer.resolve(f.getFileName()));
            }
        }
        List<String> other = args(run, "--steps", "6", "--resume");
        other.set(other.indexOf("--data") + 1, fewer.toString());
        CommandResult data = run(other.toArray(String[]::new));
        assertThat(data.exit()).isEqualTo(1);
        assertThat(data.err()).contains("cannot resume").contains("file(s) differ");

        Path copy = tmp.resolve("same-weights.safetensors"); // the same weights in another file: another SHA-256
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             StateDict sd = SamCheckpoint.load(Reference.file("tiny-sam.pth"), m)) {
            io.samtune.core.checkpoint.Safetensors.write(sd.tensors(), java.util.Map.of(), copy, false);
        }
        List<String> ckpt = args(run, "--steps", "6", "--resume");
        ckpt.set(ckpt.indexOf("--checkpoint") + 1, copy.toString());
        CommandResult base = run(ckpt.toArray(String[]::new));
        assertThat(base.err()).contains("base checkpoint (SHA-256)");
        assertThat(base.exit()).isEqualTo(1);

        CommandResult same = run(args(run, "--steps", "6", "--resume").toArray(String[]::new));
        assertThat(same.exit()).as(same.err()).isZero();
        assertThat(same.out()).contains("TrainingResult[6 steps");
    }

    @Test
    void aSecondProcessOnTheSameRunFolderIsRefusedWithThePid() throws Exception {
        Path run = tmp.resolve("busy");
        List<String> cmd = new ArrayList<>(JavaProcess.command(TrainCommand.class));
        cmd.addAll(args(run, "--steps", "400", "--checkpoint-every", "1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile())
                .start();
        try {
            Path state = run.resolve(RunDirectory.STATE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && p.isAlive() && !Files.exists(state)) {
                Thread.sleep(10);
            }
            assertThat(p.isAlive()).as("child log: %s", Files.readString(tmp.resolve("child.log"))).isTrue();
            CommandResult second = run(args(run, "--steps", "400", "--resume").toArray(String[]::new));
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err()).contains("in use by process " + p.pid());
        } finally {
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void testAccuracyOfARunScoresItsOwnTestPart() throws Exception {
        Path run = tmp.resolve("seven");
        CommandResult trained = run(args(run, "--steps", "2", "--split-seed", "7").toArray(String[]::new));
        assertThat(trained.exit()).as(trained.err()).isZero();
        List<String> test = files(new RunDirectory(run).readRunInfo(), "test");

        Path report = tmp.resolve("report");
        CommandResult scored = CommandResult.of(TestAccuracyCommand::run, "--decoder", run.toString(), "--out",
                report.toString());
        assertThat(scored.exit()).as(scored.err()).isZero();
        assertThat(scored.err()).doesNotContain("warning");
        JsonObject r = com.google.gson.JsonParser.parseString(Files.readString(report.resolve("report.json")))
                .getAsJsonObject();
        List<String> slices = new ArrayList<>();
        r.getAsJsonArray("scoredSlices").forEach(e -> slices.add(e.getAsString()));
        assertThat(slices).containsExactlyInAnyOrderElementsOf(test);
        assertThat(r.get("basis").getAsString()).contains(run.resolve(RunDirectory.RUN).toString());

        Path other = tmp.resolve("other");
        CommandResult overridden = CommandResult.of(TestAccuracyCommand::run, "--decoder", run.toString(), "--out",
                other.toString(), "--split-seed", "8");
        assertThat(overridden.exit()).as(overridden.err()).isZero();
        assertThat(overridden.err()).contains("warning: --split-seed overrides");
        assertThat(Files.readString(other.resolve("report.json"))).contains("--split-seed given");
    }

    @Test
    void badOptionsAndInputsGetOneLineNamingThem() throws Exception {
        Path out = tmp.resolve("run");
        String[][] cases = {
            {"--steps", "0", "--steps must be >= 1"},
            {"--box-jitter", "1073741824", "--box-jitter must be in 0..4096"},
            {"--fold", "9", "--fold needs --folds K or --cv-index"},
            {"--folds", "-3", "--folds must be 0"},
            {"--weight-decay", "Infinity", "--weight-decay must be >= 0"},
            {"--device", "gpu:-1", "unknown device 'gpu:-1'"},
        };
        for (String[] c : cases) {
            List<String> a = args(out);
            if (a.contains(c[0])) {
                a.set(a.indexOf(c[0]) + 1, c[1]);
            } else {
                a.addAll(List.of(c[0], c[1]));
            }
            CommandResult r = run(a.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", c)).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", c)).contains(c[2]).doesNotContain("\tat ");
        }
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{ not json");
        List<String> config = args(out);
        config.set(config.indexOf("--config") + 1, broken.toString());
        CommandResult r = run(config.toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--config " + broken).doesNotContain("\tat ");

        Path file = tmp.resolve("a-file");
        Files.writeString(file, "x");
        CommandResult outFile = run(args(file, "--steps", "1").toArray(String[]::new));
        assertThat(outFile.exit()).isEqualTo(1);
        assertThat(outFile.err()).contains(file + " is a file, not a folder");

        Path decoderOnly = tmp.resolve("decoder.safetensors");
        try (SamModel m = SamModel.load(Reference.file("tiny-sam.pth"), SamConfig.fromJson(Reference.file("tiny-sam-config.json")),
                Device.cpu())) {
            m.saveDecoder(decoderOnly, java.util.Map.of());
        }
        List<String> dec = args(tmp.resolve("dec"), "--steps", "1");
        dec.set(dec.indexOf("--checkpoint") + 1, decoderOnly.toString());
        CommandResult noEncoder = run(dec.toArray(String[]::new));
        assertThat(noEncoder.exit()).isEqualTo(1);
        assertThat(noEncoder.err()).contains("holds only a mask decoder").contains("--decoder").doesNotContain("\tat ");

        Path encoderless = tmp.resolve("no-encoder.safetensors");
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             StateDict sd = SamCheckpoint.load(Reference.file("tiny-sam.pth"), m)) {
            java.util.Map<String, ai.djl.ndarray.NDArray> rest = new java.util.LinkedHashMap<>(sd.tensors());
            rest.keySet().removeIf(k -> k.startsWith("image_encoder."));
            io.samtune.core.checkpoint.Safetensors.write(rest, java.util.Map.of(), encoderless, false);
        }
        dec.set(dec.indexOf("--checkpoint") + 1, encoderless.toString());
        CommandResult none = run(dec.toArray(String[]::new));
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("holds no image encoder").contains("--checkpoint").doesNotContain("\tat ");
    }

    @Test
    void sigtermFinishesTheStepCheckpointsItAndResumesExactlyEvenWhenRepeatedWhileSaving() throws Exception {
        Path a = tmp.resolve("whole");
        CommandResult full = run(args(a, "--steps", "40").toArray(String[]::new));
        assertThat(full.exit()).as(full.err()).isZero();

        Path b = tmp.resolve("preempted");
        Path log = tmp.resolve("preempted.log");
        // no --checkpoint-every: the signal's checkpoint is the only one mid-epoch
        Process p = trainUntil(b, log, 7, "--steps", "40");
        try {
            p.destroy(); // SIGTERM
            // more of them while it finishes the step and saves: none may cost the checkpoint
            long stopBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!p.waitFor(10, TimeUnit.MILLISECONDS) && System.nanoTime() < stopBy) {
                p.destroy();
            }
            assertThat(p.isAlive()).as("still running 60 s after SIGTERM").isFalse();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(Files.readString(log)).isEqualTo(143);
        assertThat(Files.readString(log)).containsPattern("stopped at step \\d+; continue with the same command and --resume");

        CommandResult resumed = run(args(b, "--steps", "40", "--resume").toArray(String[]::new));
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(maxDiff(decoder(a), decoder(b))).as("max |uninterrupted - preempted and resumed|").isZero();
        assertThat(Files.mismatch(a.resolve(RunDirectory.DECODER_LAST), b.resolve(RunDirectory.DECODER_LAST)))
                .as("decoder files byte-equal").isEqualTo(-1L);
        List<JsonObject> lines = new RunDirectory(b).readMetrics();
        assertThat(lines.stream().filter(o -> o.has("loss")).map(o -> o.get("step").getAsLong()).toList())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList());
    }

    @Test
    void ctrlCStopsWithExitCode130AfterCheckpointingTheStep() throws Exception {
        Path out = tmp.resolve("interrupted");
        Path log = tmp.resolve("interrupted.log");
        Process p = trainUntil(out, log, 3, "--steps", "400");
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -INT").isTrue();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s of SIGINT").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        assertThat(p.exitValue()).as(text).isEqualTo(130);
        java.util.regex.Matcher stopped = java.util.regex.Pattern
                .compile("stopped at step (\\d+); continue with the same command and --resume").matcher(text);
        assertThat(stopped.find()).as(text).isTrue();
        long step = Long.parseLong(stopped.group(1));
        assertThat(step).isLessThan(400);
        assertThat(new RunDirectory(out).readMetrics().stream().filter(o -> o.has("loss")).count())
                .as("steps in metrics up to the checkpoint").isEqualTo(step);
    }

    @Test
    void twoCpuDevicesEqualOne() throws Exception {
        Path one = tmp.resolve("one");
        Path two = tmp.resolve("two");
        assertThat(run(args(one, "--steps", "4").toArray(String[]::new)).exit()).isZero();
        CommandResult r = run(args(two, "--steps", "4", "--devices", "cpu,cpu").toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(maxDiff(decoder(one), decoder(two))).as("max |1 device - 2 devices|").isLessThanOrEqualTo(1e-5);
        assertThat(new RunDirectory(two).readRunInfo().getAsJsonObject("settings").getAsJsonObject("model")
                .getAsJsonArray("devices")).hasSize(2);
        CommandResult bad = run(args(tmp.resolve("bad"), "--steps", "1", "--devices", "cpu,tpu").toArray(String[]::new));
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown device 'tpu'");
    }
}
