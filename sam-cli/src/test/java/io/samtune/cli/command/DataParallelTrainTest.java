package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.core.Reference;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import io.samtune.distributed.federated.Certificates;
import io.samtune.train.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two data-parallel workers on 127.0.0.1 (rank 0 in this JVM from --rank/--world-size, rank 1 a
 * child from RANK/WORLD_SIZE) train as one process with the same global batch, over TLS; a killed
 * worker stops the other with its checkpoint, and both resumed end as the uninterrupted run.
 */
class DataParallelTrainTest {

    private static final String PASSWORD = "cluster secret";

    @TempDir
    Path tmp;
    private TrainProcesses workers;

    @BeforeEach
    void password() {
        workers = new TrainProcesses(tmp, PASSWORD);
    }

    @AfterEach
    void stop() throws InterruptedException {
        workers.close();
    }

    private List<String> args(Path out, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", Fixtures.phantoms().toString(), "--checkpoint",
                Reference.file("tiny-sam.pth").toString(), "--config", Reference.file("tiny-sam-config.json").toString(),
                "--cache", tmp.resolve("cache").toString(), "--device", "cpu", "--out", out.toString(), "--batch-size", "3",
                "--lr", "3e-3", "--seed", "11", "--box-jitter", "3", "--steps", Integer.toString(steps)));
        a.addAll(List.of(extra));
        return a;
    }

    private Process worker(int rank, List<String> args, String log) throws IOException {
        return workers.start(log, args, Map.of("RANK", Integer.toString(rank), "WORLD_SIZE", "2", "LOCAL_RANK",
                Integer.toString(rank)));
    }

    private String log(String name) throws IOException {
        return workers.log(name);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoWorkersTrainAsOneProcessAndSurviveAKilledWorker() throws Exception {
        CommandResult serial = TrainCommandTest.run(args(tmp.resolve("serial"), 12).toArray(String[]::new));
        assertThat(serial.exit()).as(serial.err()).isZero();

        // the two workers talk TLS 1.3, each with its own certificate from one CA
        Path certs = tmp.resolve("certs");
        Certificates.createCa(certs, "cluster-ca", PASSWORD.toCharArray());
        for (String node : List.of("node-0", "node-1")) {
            Certificates.createSite(certs, node, certs.resolve(node), PASSWORD.toCharArray());
        }
        Path rendezvous = tmp.resolve("rendezvous");
        Path both = tmp.resolve("both");
        Process one = worker(1, args(both, 12, "--rendezvous", rendezvous.toString(), "--keystore",
                certs.resolve("node-1/node-1.p12").toString(), "--ca", certs.resolve("ca.pem").toString()), "rank1.log");
        CommandResult zero = TrainCommandTest.run(args(both, 12, "--rank", "0", "--world-size", "2", "--rendezvous",
                rendezvous.toString(), "--keystore", certs.resolve("node-0/node-0.p12").toString(), "--ca",
                certs.resolve("ca.pem").toString()).toArray(String[]::new));
        assertThat(zero.exit()).as("%s%nrank 1:%n%s", zero.err(), log("rank1.log")).isZero();
        assertThat(one.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(one.exitValue()).as(log("rank1.log")).isZero();
        assertThat(zero.err()).contains("all 2 workers present").contains("TLS 1.3 between workers")
                .contains("'node-0'");
        assertThat(log("rank1.log")).contains("'node-1'");
        double d = TrainCommandTest.maxDiff(TrainCommandTest.decoder(tmp.resolve("serial")), TrainCommandTest.decoder(both));
        assertThat(d).as("2 workers vs 1 process, same global batch").isLessThan(1e-5);
        assertThat(new RunDirectory(both).readRunInfo().getAsJsonObject("dataParallel").get("worldSize").getAsInt())
                .isEqualTo(2);
        // the per-step loss is the whole batch's: the same as the serial run's
        List<Double> serialLoss = losses(tmp.resolve("serial"));
        List<Double> parallelLoss = losses(both);
        assertThat(parallelLoss).hasSameSizeAs(serialLoss);
        for (int i = 0; i < serialLoss.size(); i++) {
            assertThat(parallelLoss.get(i)).as("loss of step %d", i + 1).isCloseTo(serialLoss.get(i),
                    org.assertj.core.data.Offset.offset(1e-5));
        }

        // a worker killed mid-run stops the other at the next step, with rank 0's checkpoint kept
        Path killed = tmp.resolve("killed");
        Path rv2 = tmp.resolve("rendezvous-2");
        Process victim = worker(1, args(killed, 400, "--rendezvous", rv2.toString(), "--checkpoint-every", "1"),
                "victim.log");
        Thread killer = new Thread(() -> {
            try {
                Path metrics = killed.resolve(RunDirectory.METRICS);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline && victim.isAlive()
                        && (!Files.exists(metrics) || Files.readAllLines(metrics).size() < 3)) {
                    Thread.sleep(5);
                }
                victim.destroyForcibly();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        killer.start();
        long t0 = System.nanoTime();
        CommandResult survivor = TrainCommandTest.run(args(killed, 400, "--rank", "0", "--world-size", "2", "--rendezvous",
                rv2.toString(), "--checkpoint-every", "1").toArray(String[]::new));
        killer.join();
        assertThat(survivor.exit()).as(survivor.err()).isEqualTo(1);
        assertThat(survivor.err()).contains("rank-0001").contains("--resume");
        assertThat((System.nanoTime() - t0) / 1e9).as("seconds until the survivor stopped: %s%nrank 1:%n%s",
                survivor.err(), log("victim.log")).isLessThan(100);
        long saved = new RunDirectory(killed).readMetrics().stream().filter(m -> m.has("loss")).count();
        assertThat(saved).isGreaterThanOrEqualTo(3).isLessThan(12);

        // both restarted with --resume (and the run's length set to 8) end as the uninterrupted run
        Process again = worker(1, args(killed, 12, "--rendezvous", rv2.toString(), "--checkpoint-every", "1", "--resume"),
                "again.log");
        CommandResult resumed = TrainCommandTest.run(args(killed, 12, "--rank", "0", "--world-size", "2", "--rendezvous",
                rv2.toString(), "--checkpoint-every", "1", "--resume").toArray(String[]::new));
        assertThat(resumed.exit()).as("%s%nrank 1:%n%s", resumed.err(), log("again.log")).isZero();
        assertThat(resumed.err()).contains("resuming at step " + saved);
        assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(again.exitValue()).as(log("again.log")).isZero();
        assertThat(TrainCommandTest.maxDiff(TrainCommandTest.decoder(tmp.resolve("serial")),
                TrainCommandTest.decoder(killed))).isLessThan(1e-5);
        assertThat(TrainCommandTest.maxDiff(TrainCommandTest.decoder(both), TrainCommandTest.decoder(killed)))
                .as("killed, resumed vs uninterrupted, 2 workers each").isZero();

        // another world size is refused, naming both; one process too
        CommandResult three = TrainCommandTest.run(args(killed, 8, "--rank", "0", "--world-size", "3", "--rendezvous",
                tmp.resolve("rv3").toString(), "--resume").toArray(String[]::new));
        assertThat(three.exit()).isEqualTo(1);
        assertThat(three.err()).contains("world size 3").contains("world size 2");
        byte[] before = Files.readAllBytes(killed.resolve("decoder-last.safetensors"));
        CommandResult alone = TrainCommandTest.run(args(killed, 16, "--resume").toArray(String[]::new));
        assertThat(alone.exit()).as(alone.err()).isEqualTo(1);
        assertThat(alone.err()).contains("with world size 1: it was trained with world size 2")
                .contains("resume it with 2 workers");
        assertThat(Files.readAllBytes(killed.resolve("decoder-last.safetensors"))).isEqualTo(before);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoWorkersTrainAdaptersAsOneProcess() throws Exception {
        CommandResult serial = TrainCommandTest.run(args(tmp.resolve("lora-serial"), 4, "--adapter", "lora")
                .toArray(String[]::new));
        assertThat(serial.exit()).as(serial.err()).isZero();
        Path both = tmp.resolve("lora-both");
        List<String> common = args(both, 4, "--adapter", "lora", "--rendezvous", tmp.resolve("rv-lora").toString());
        Process one = worker(1, common, "lora1.log");
        List<String> zero = new ArrayList<>(common);
        zero.addAll(List.of("--rank", "0", "--world-size", "2"));
        CommandResult r0 = TrainCommandTest.run(zero.toArray(String[]::new));
        assertThat(r0.exit()).as("%s%nrank 1:%n%s", r0.err(), log("lora1.log")).isZero();
        assertThat(one.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(one.exitValue()).as(log("lora1.log")).isZero();
        java.util.Map<String, float[]> a = TrainCommandTest.decoder(tmp.resolve("lora-serial"));
        assertThat(a.keySet()).anyMatch(io.samtune.core.model.LoraConfig::isAdapterName);
        assertThat(TrainCommandTest.maxDiff(a, TrainCommandTest.decoder(both))).as("2 workers with adapters vs 1 process")
                .isLessThan(1e-5);
    }

    @Test
    @Timeout(value = 400, unit = TimeUnit.SECONDS)
    void threeAndFourWorkersEqualOneProcessWithIdenticalBitsAfterEveryStep() throws Exception {
        CommandResult serial = TrainCommandTest.run(args(tmp.resolve("serial"), 6).toArray(String[]::new));
        assertThat(serial.exit()).as(serial.err()).isZero();
        for (int world : new int[] {3, 4}) { // 3 is not a power of two; with 4, one worker has no slice of a call
            Path out = tmp.resolve("world-" + world);
            Path digests = tmp.resolve("digests-" + world);
            List<String> common = args(out, 6, "--rendezvous", tmp.resolve("rv-" + world).toString(), "--step-digests",
                    digests.toString());
            List<Process> others = new ArrayList<>();
            for (int r = 1; r < world; r++) {
                others.add(workers.start("w" + world + "-" + r + ".log", common, Map.of("RANK", Integer.toString(r),
                        "WORLD_SIZE", Integer.toString(world), "LOCAL_RANK", Integer.toString(r))));
            }
            List<String> zero = new ArrayList<>(common);
            zero.addAll(List.of("--rank", "0", "--world-size", Integer.toString(world)));
            CommandResult r0 = TrainCommandTest.run(zero.toArray(String[]::new));
            assertThat(r0.exit()).as("%s%nrank 1:%n%s", r0.err(), log("w" + world + "-1.log")).isZero();
            for (int r = 1; r < world; r++) {
                assertThat(others.get(r - 1).waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(others.get(r - 1).exitValue()).as(log("w" + world + "-" + r + ".log")).isZero();
            }
            assertThat(TrainCommandTest.maxDiff(TrainCommandTest.decoder(tmp.resolve("serial")),
                    TrainCommandTest.decoder(out))).as("%d workers vs 1 process", world).isLessThan(1e-5);
            List<Double> serialLoss = losses(tmp.resolve("serial"));
            List<Double> parallelLoss = losses(out);
            assertThat(parallelLoss).hasSameSizeAs(serialLoss);
            for (int i = 0; i < serialLoss.size(); i++) {
                assertThat(parallelLoss.get(i)).isCloseTo(serialLoss.get(i), org.assertj.core.data.Offset.offset(1e-5));
            }
            // every worker held the same bits after every step
            List<String> first = Files.readAllLines(digests.resolve("rank-0000.txt"));
            assertThat(first).hasSize(6);
            assertThat(first.get(0)).startsWith("1 ");
            assertThat(first.stream().map(l -> l.split(" ")[1]).distinct()).as("the weights change").hasSize(6);
            for (int r = 1; r < world; r++) {
                assertThat(Files.readAllLines(digests.resolve(String.format("rank-%04d.txt", r)))).as("rank %d", r)
                        .isEqualTo(first);
            }
        }
        CommandResult alone = TrainCommandTest.run(concat(args(tmp.resolve("alone"), 2), "--step-digests",
                tmp.toString()));
        assertThat(alone.exit()).isEqualTo(2);
        assertThat(alone.err()).contains("--step-digests compares data-parallel workers");
    }

    /** {@code args} with the value after {@code option} replaced. */
    private static List<String> with(List<String> args, String option, String value) {
        List<String> out = new ArrayList<>(args);
        out.set(out.indexOf(option) + 1, value);
        return out;
    }

    /**
     * Rank 0 in this JVM and rank 1 (a child, with {@code env}) start with the given arguments; both
     * must stop with exit code 1 long before the worker timeout, rank 0 saying each of {@code expected},
     * and the run folder must hold no training.
     */
    private void refused(String name, List<String> zeroArgs, List<String> oneArgs, Map<String, String> env,
                         String... expected) throws Exception {
        Process one = workers.start(name + ".log", oneArgs, env);
        long t0 = System.nanoTime();
        List<String> zero = new ArrayList<>(zeroArgs);
        zero.addAll(List.of("--rank", "0", "--world-size", "2"));
        CommandResult r = TrainCommandTest.run(zero.toArray(String[]::new));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(one.waitFor(60, TimeUnit.SECONDS)).as(log(name + ".log")).isTrue();
        assertThat(r.exit()).as("%s%nrank 1:%n%s", r.err(), log(name + ".log")).isEqualTo(1);
        assertThat(r.err()).contains(expected);
        assertThat(one.exitValue()).as(log(name + ".log")).isEqualTo(1);
        assertThat(seconds).as("seconds until rank 0 stopped").isLessThan(60);
        Path out = Path.of(zeroArgs.get(zeroArgs.indexOf("--out") + 1));
        assertThat(out.resolve(RunDirectory.METRICS)).doesNotExist();
        assertThat(out.resolve(RunDirectory.STATE)).doesNotExist();
        assertThat(out.resolve(RunDirectory.RUN)).as("a refused start leaves the folder as it was").doesNotExist();
    }

    @Test
    @Timeout(value = 400, unit = TimeUnit.SECONDS)
    void workersThatDoNotRunOneJobAreRefusedByName() throws Exception {
        Map<String, String> rank1 = Map.of("RANK", "1", "WORLD_SIZE", "2", "LOCAL_RANK", "1");
        List<String> base = args(tmp.resolve("lr"), 4, "--rendezvous", tmp.resolve("rv-lr").toString(),
                "--worker-timeout", "120");
        refused("lr", base, with(base, "--lr", "1e-3"), rank1, "worker rank-0001 does not run the same job",
                "optimization.learningRate is 0.001 there, 0.003 here", "nothing was trained");

        Path copy = tmp.resolve("fewer-slices");
        Files.createDirectories(copy);
        try (var files = Files.list(Fixtures.phantoms())) {
            List<Path> mats = files.filter(f -> f.toString().endsWith(".mat")).sorted().toList();
            for (Path f : mats.subList(1, mats.size())) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        base = with(with(base, "--out", tmp.resolve("data").toString()), "--rendezvous", tmp.resolve("rv-data").toString());
        refused("data", base, with(base, "--data", copy.toString()), rank1, "worker rank-0001 does not run the same job",
                " part is ");

        base = with(with(base, "--out", tmp.resolve("world").toString()), "--rendezvous",
                tmp.resolve("rv-world").toString());
        refused("world", base, base, Map.of("RANK", "1", "WORLD_SIZE", "3", "LOCAL_RANK", "1"),
                "world size is 3 there, 2 here");
        assertThat(log("world.log")).contains("world size is 2 there, 3 here");

        // two runs (other --out) sharing a rendezvous folder never meet: each names the other's group
        Path shared = tmp.resolve("rv-shared");
        base = with(with(with(base, "--out", tmp.resolve("run-a").toString()), "--rendezvous", shared.toString()),
                "--worker-timeout", "8");
        refused("shared", base, with(base, "--out", tmp.resolve("run-b").toString()), rank1, "has 1 of 2 members",
                "other groups meet in " + shared, "run-b");
    }

    private static List<Double> losses(Path run) throws IOException {
        List<Double> out = new ArrayList<>();
        new RunDirectory(run).readMetrics().stream().filter(m -> m.has("loss"))
                .forEach(m -> out.add(m.get("loss").getAsDouble()));
        return out;
    }

    @Test
    void badWorldSettingsAreOneLineErrors() {
        CommandResult noMeeting = TrainCommandTest.run(args(tmp.resolve("x"), 2, "--rank", "0", "--world-size", "2")
                .toArray(String[]::new));
        assertThat(noMeeting.exit()).isEqualTo(2);
        assertThat(noMeeting.err()).contains("--rendezvous").contains("--peers");
        CommandResult badRank = TrainCommandTest.run(args(tmp.resolve("y"), 2, "--rank", "2", "--world-size", "2",
                "--rendezvous", tmp.toString()).toArray(String[]::new));
        assertThat(badRank.exit()).isEqualTo(2);
        assertThat(badRank.err()).contains("rank must be 0..1");
        CommandResult peers = TrainCommandTest.run(args(tmp.resolve("z"), 2, "--rank", "0", "--world-size", "2",
                "--peers", "127.0.0.1:7850").toArray(String[]::new));
        assertThat(peers.exit()).isEqualTo(2);
        assertThat(peers.err()).contains("--peers lists 1 addresses for world size 2");
    }

    @Test
    void workerCertificatesAreCheckedBeforeMeeting() throws IOException {
        Path ours = tmp.resolve("ours");
        Path theirs = tmp.resolve("theirs");
        Certificates.createCa(ours, "cluster-ca", PASSWORD.toCharArray());
        Certificates.createCa(theirs, "other-ca", PASSWORD.toCharArray());
        Certificates.createSite(theirs, "node-0", theirs.resolve("node-0"), PASSWORD.toCharArray());
        String p12 = theirs.resolve("node-0/node-0.p12").toString();
        String[] common = {"--rank", "0", "--world-size", "2", "--rendezvous", tmp.resolve("rv").toString()};

        CommandResult foreign = TrainCommandTest.run(concat(args(tmp.resolve("a"), 2, common), "--keystore", p12,
                "--ca", ours.resolve("ca.pem").toString()));
        assertThat(foreign.exit()).isEqualTo(2);
        assertThat(foreign.err()).contains(p12).contains("was not signed by the CA in " + ours.resolve("ca.pem"));
        CommandResult half = TrainCommandTest.run(concat(args(tmp.resolve("b"), 2, common), "--keystore", p12));
        assertThat(half.exit()).isEqualTo(2);
        assertThat(half.err()).contains("needs both --keystore P12 and --ca PEM");
        CommandResult alone = TrainCommandTest.run(concat(args(tmp.resolve("c"), 2), "--keystore", p12, "--ca",
                theirs.resolve("ca.pem").toString()));
        assertThat(alone.exit()).isEqualTo(2);
        assertThat(alone.err()).contains("secure data-parallel workers (world size > 1");
        CertsCommand.environment = v -> null;
        CommandResult noPassword = TrainCommandTest.run(concat(args(tmp.resolve("d"), 2, common), "--keystore", p12,
                "--ca", theirs.resolve("ca.pem").toString()));
        assertThat(noPassword.exit()).isEqualTo(2);
        assertThat(noPassword.err()).contains(CertsCommand.PASSWORD_VARIABLE).doesNotContain(PASSWORD);
    }

    private static String[] concat(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
