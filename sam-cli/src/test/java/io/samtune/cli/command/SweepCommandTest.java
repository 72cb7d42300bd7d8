package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.samtune.core.Reference;
import io.samtune.core.SamConfig;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.core.io.JavaProcess;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.RunDirectory;
import io.samtune.train.ScheduleConfig;
import io.samtune.train.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code samtune sweep} with the tiny model: four trials two at a time; a sweep killed with SIGKILL
 * and resumed runs each trial once and ends with the same table; {@code --trial-index} runs fill the
 * same table; bad specs are refused before any trial starts.
 */
class SweepCommandTest {

    @TempDir
    Path tmp;

    private Path spec(String scheduler) throws IOException {
        return spec(scheduler, "{\"lr\": {\"grid\": [0.003, 0.0003]}, \"boxJitter\": {\"grid\": [0, 4]}}");
    }

    private Path spec(String scheduler, String space) throws IOException {
        TrainingConfig base = TrainingConfig.builder()
                .optData(DataConfig.builder().setFolder(Fixtures.phantoms()).build())
                .optModel(ModelConfig.builder().setCheckpoint(Reference.file("tiny-sam.pth"))
                        .optSizes(SamConfig.fromJson(Reference.file("tiny-sam-config.json"))).optDevice("cpu")
                        .optCacheFolder(tmp.resolve("cache")).build())
                .optOptimization(OptimizationConfig.builder().optBatchSize(4).build())
                .optSchedule(ScheduleConfig.builder().optEpochs(2).build()).build();
        JsonObject s = com.google.gson.JsonParser.parseString("{\"space\": " + space + ", \"metric\": \"valDice\","
                + " \"mode\": \"max\", \"scheduler\": {\"type\": \"" + scheduler + "\", \"maxEpochs\": 3,"
                + " \"gracePeriod\": 1, \"reductionFactor\": 2}}").getAsJsonObject();
        s.add("base", base.toJson());
        Path f = tmp.resolve(scheduler + "-" + Integer.toHexString(space.hashCode()) + ".json");
        Files.writeString(f, s.toString());
        return f;
    }

    static CommandResult sweep(String... args) {
        return CommandResult.of(SweepCommand::run, args);
    }

    private static List<String> table(Path sweep) throws IOException {
        return Files.readAllLines(sweep.resolve("trials.csv"));
    }

    @Test
    @Timeout(value = 400, unit = TimeUnit.SECONDS)
    void parallelTrialsResumeAfterSigkillAndTrialIndexRunsFillTheSameTable() throws Exception {
        Path spec = spec("none");
        Path whole = tmp.resolve("whole");
        CommandResult r = sweep("--spec", spec.toString(), "--out", whole.toString(), "--parallel", "2", "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> rows = table(whole);
        assertThat(rows.get(0)).isEqualTo("trial,lr,boxJitter,status,epochs,valDice,run");
        assertThat(rows).hasSize(5);
        for (int i = 1; i < rows.size(); i++) {
            assertThat(rows.get(i)).contains(",finished,3,").endsWith(String.format("trial-%03d", i - 1));
        }
        assertThat(r.out()).contains("best: trial-");
        assertThat(whole.resolve("best-decoder.safetensors")).isRegularFile();
        assertThat(whole.resolve("trials-curves.png")).isRegularFile();
        assertThat(whole.resolve("metric-vs-lr.png")).isRegularFile();
        assertThat(whole.resolve("summary.json")).isRegularFile();
        // a trial folder is an ordinary run: samtune train can resume it
        assertThat(new RunDirectory(whole.resolve("trial-002")).readRunInfo().getAsJsonObject("settings")).isNotNull();

        // killed with SIGKILL while trials run, then resumed: every trial once, the same table
        Path killed = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(JavaProcess.command(io.samtune.cli.Samtune.class, "sweep", "--spec",
                spec.toString(), "--out", killed.toString(), "--parallel", "2", "--threads", "1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("sweep.log").toFile())
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (System.nanoTime() < deadline && p.isAlive()
                    && !Files.exists(killed.resolve("trial-000").resolve(RunDirectory.STATE))) {
                Thread.sleep(10);
            }
            assertThat(p.isAlive()).as(Files.readString(tmp.resolve("sweep.log"))).isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        CommandResult again = sweep("--spec", spec.toString(), "--out", killed.toString(), "--parallel", "2",
                "--threads", "1");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already holds a sweep").contains("--resume");
        CommandResult resumed = sweep("--spec", spec.toString(), "--out", killed.toString(), "--parallel", "2",
                "--threads", "1", "--resume");
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        sameTable(table(killed), rows);
        assertEveryStepOnce(killed, "trial");

        // the sweep and its trials killed together with SIGKILL (a node failure, scancel, the OOM killer), a trial
        // between its first step and its first checkpoint: resumed, every trial once, the same table
        Path node = tmp.resolve("node-failure");
        Process q = new ProcessBuilder(new ArrayList<>(JavaProcess.command(io.samtune.cli.Samtune.class, "sweep",
                "--spec", spec.toString(), "--out", node.toString(), "--parallel", "2", "--threads", "1")))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("node.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (System.nanoTime() < deadline && q.isAlive()
                    && !Files.exists(node.resolve("trial-000").resolve(RunDirectory.METRICS))) {
                Thread.sleep(5);
            }
            assertThat(q.isAlive()).as(Files.readString(tmp.resolve("node.log"))).isTrue();
        } finally {
            q.descendants().forEach(ProcessHandle::destroyForcibly);
            q.destroyForcibly();
            q.waitFor(30, TimeUnit.SECONDS);
        }
        CommandResult recovered = sweep("--spec", spec.toString(), "--out", node.toString(), "--parallel", "2",
                "--threads", "1", "--resume");
        assertThat(recovered.exit()).as(recovered.err() + recovered.out()).isZero();
        sameTable(table(node), rows);
        assertEveryStepOnce(node, "trial");

        // one trial per process (SLURM job arrays): the same table
        Path array = tmp.resolve("array");
        for (int i = 3; i >= 0; i--) {
            CommandResult one = sweep("--spec", spec.toString(), "--out", array.toString(), "--trial-index",
                    Integer.toString(i));
            assertThat(one.exit()).as(one.err()).isZero();
        }
        CommandResult summary = sweep("--out", array.toString(), "--summary");
        assertThat(summary.exit()).as(summary.err()).isZero();
        sameTable(table(array), rows);
        // as a process, the table reaches stdout before the process exits
        Process shown = new ProcessBuilder(JavaProcess.command(io.samtune.cli.Samtune.class, "sweep", "--out",
                array.toString(), "--summary")).redirectErrorStream(false).start();
        String printed = new String(shown.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(shown.waitFor()).isZero();
        assertThat(printed).isEqualTo(summary.out());
        assertThat(printed).contains("trial").contains("best:");

        // two sweep processes share the trials through a rendezvous folder; one is killed with
        // SIGKILL while it trains, and the other takes its trial over: the same table again
        Path shared = tmp.resolve("shared");
        Path rv = tmp.resolve("rendezvous");
        List<String> member = new ArrayList<>(cmd.subList(0, cmd.indexOf("sweep") + 1));
        member.addAll(List.of("--spec", spec.toString(), "--out", shared.toString(), "--rendezvous", rv.toString(),
                "--threads", "1"));
        Process other = new ProcessBuilder(member).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("member.log").toFile()).start();
        try {
            java.util.concurrent.CompletableFuture<CommandResult> here = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> sweep("--spec", spec.toString(), "--out", shared.toString(), "--rendezvous", rv.toString(),
                            "--threads", "1"));
            String name = "-" + other.pid();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            boolean trainedThere = false;
            while (!trainedThere && System.nanoTime() < deadline && other.isAlive()) {
                for (int i = 0; i < 4 && !trainedThere; i++) {
                    Path trial = shared.resolve(String.format("trial-%03d", i));
                    Path claim = trial.resolve(io.samtune.sweep.ClusterWorkQueue.CLAIM);
                    trainedThere = Files.exists(trial.resolve(RunDirectory.STATE)) && Files.exists(claim)
                            && Files.readString(claim).trim().endsWith(name);
                }
                Thread.sleep(10);
            }
            assertThat(trainedThere).as("the other sweep process trained a trial: %s",
                    Files.readString(tmp.resolve("member.log"))).isTrue();
            other.destroyForcibly();
            CommandResult survivor = here.get(200, TimeUnit.SECONDS);
            assertThat(survivor.exit()).as("%s%n%s", survivor.err(), trialLogs(shared)).isZero();
            assertThat(survivor.err()).contains("shares the trials through " + rv).contains(name + " left;")
                    .contains("takes it over from its last checkpoint");
            sameTable(table(shared), rows);
            assertEveryStepOnce(shared, "shared trial");
        } finally {
            other.destroyForcibly();
            other.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(value = 200, unit = TimeUnit.SECONDS)
    void ashaStopsAPlantedBadLearningRate() throws Exception {
        Path spec = spec("asha", "{\"lr\": {\"grid\": [0.003, 0.001, 10]}}");
        Path out = tmp.resolve("asha");
        CommandResult r = sweep("--spec", spec.toString(), "--out", out.toString(), "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> rows = table(out);
        assertThat(rows.get(3)).as("lr 10, last of three: below the best half at the first rung").startsWith("2,10,stopped,1,");
        assertThat(rows.get(1)).startsWith("0,0.003,finished,3,");
        assertThat(out.resolve("rungs/epoch-001/trial-002.decision")).hasContent("stop");
        assertThat(r.out()).contains("stopped");
    }

    /** Each of the sweep's four trials logged its training steps in order, each once. */
    private static void assertEveryStepOnce(Path sweep, String what) throws IOException {
        for (int i = 0; i < 4; i++) {
            List<Long> steps = new ArrayList<>();
            for (JsonObject m : new RunDirectory(sweep.resolve(String.format("trial-%03d", i))).readMetrics()) {
                if (m.has("loss")) {
                    steps.add(m.get("step").getAsLong());
                }
            }
            assertThat(steps).as("%s %d's steps, each once", what, i).isSorted().doesNotHaveDuplicates();
        }
    }

    /** Equal tables: every column alike, the metric within 1e-4 (thread counts may round differently). */
    /** Every trial's log, for a failure's message. */
    private static String trialLogs(Path sweep) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            Path log = sweep.resolve(String.format("trial-%03d", i)).resolve("trial.log");
            b.append(log).append(":\n").append(Files.exists(log) ? Files.readString(log) : "(none)\n");
        }
        return b.toString();
    }

    private static void sameTable(List<String> actual, List<String> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        assertThat(actual.get(0)).isEqualTo(expected.get(0));
        int metric = List.of(expected.get(0).split(",")).indexOf("valDice");
        for (int i = 1; i < expected.size(); i++) {
            String[] a = actual.get(i).split(",", -1);
            String[] e = expected.get(i).split(",", -1);
            for (int c = 0; c < e.length; c++) {
                if (c == metric) {
                    assertThat(Double.parseDouble(a[c])).as("row %d", i).isCloseTo(Double.parseDouble(e[c]),
                            org.assertj.core.data.Offset.offset(1e-4));
                } else {
                    assertThat(a[c]).as("row %d column %d", i, c).isEqualTo(e[c]);
                }
            }
        }
    }

    @Test
    void badSpecsAreRefusedBeforeAnyTrialStarts() throws Exception {
        Path unknown = spec("asha", "{\"lr\": {\"grid\": [0.003]}, \"boxJiter\": {\"grid\": [0, 4]}}");
        CommandResult r = sweep("--spec", unknown.toString(), "--out", tmp.resolve("u").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("boxJiter");
        assertThat(tmp.resolve("u")).doesNotExist();
        Path log = spec("asha", "{\"lr\": {\"loguniform\": [0, 0.1]}}");
        CommandResult l = sweep("--spec", log.toString(), "--out", tmp.resolve("l").toString());
        assertThat(l.exit()).isEqualTo(2);
        assertThat(l.err()).contains("lr");
        CommandResult none = sweep("--out", tmp.resolve("nothing").toString(), "--summary");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("holds no sweep");
    }
}
