package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.core.Reference;
import io.samtune.core.io.Sha256;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import io.samtune.distributed.federated.Certificates;
import io.samtune.distributed.federated.Federation;
import io.samtune.train.RunDirectory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code samtune train --federation} with the tiny model on 127.0.0.1: one site equals plain
 * training bit for bit; three sites on identical data equal plain training even when one is killed;
 * three sites on different data end with one decoder that differs from a site's solo run.
 */
class FederatedTrainTest {

    static final String PASSWORD = "correct horse";

    @TempDir
    Path tmp;
    private Path consortium;
    private TrainProcesses sites;

    @BeforeEach
    void consortium() throws IOException {
        consortium = tmp.resolve("consortium");
        Certificates.createCa(consortium, "test-ca", PASSWORD.toCharArray());
        for (String s : List.of("site-a", "site-b", "site-c")) {
            Certificates.createSite(consortium, s, tmp.resolve(s), PASSWORD.toCharArray());
        }
        sites = new TrainProcesses(tmp, PASSWORD);
    }

    @AfterEach
    void stop() throws InterruptedException {
        sites.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private List<String> args(Path data, Path out, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", data.toString(), "--checkpoint",
                Reference.file("tiny-sam.pth").toString(), "--config", Reference.file("tiny-sam-config.json").toString(),
                "--cache", tmp.resolve("cache").toString(), "--device", "cpu", "--out", out.toString(), "--batch-size", "2",
                "--lr", "3e-3", "--seed", "11", "--box-jitter", "3", "--steps", Integer.toString(steps)));
        a.addAll(List.of(extra));
        return a;
    }

    /** Writes site {@code name}'s federation.json; {@code discovery} is "peers" (with ports) or "rendezvous". */
    private Path federation(String name, int port, List<Integer> ports, int minPeers, boolean rendezvous)
            throws IOException {
        JsonObject f = new JsonObject();
        f.addProperty("site", name);
        f.addProperty("bind", "127.0.0.1:" + port);
        if (rendezvous) {
            f.addProperty("rendezvous", tmp.resolve("rendezvous").toString());
        } else {
            JsonArray peers = new JsonArray();
            ports.forEach(p -> peers.add("127.0.0.1:" + p));
            f.add("peers", peers);
        }
        f.addProperty("minPeers", minPeers);
        f.addProperty("startPeers", Math.max(minPeers, ports.size())); // every listed site from step 0
        f.addProperty("syncEvery", 2);
        f.addProperty("merge", "mean");
        f.addProperty("roundTimeoutSeconds", 60);
        f.addProperty("failureTimeoutSeconds", 8); // three JVMs on two busy cores: heartbeats may be late
        f.addProperty("keystore", tmp.resolve(name).resolve(name + ".p12").toString());
        f.addProperty("ca", tmp.resolve(name).resolve("ca.pem").toString());
        JsonArray allowed = new JsonArray();
        List.of("site-a", "site-b", "site-c").forEach(allowed::add);
        f.add("allowedSites", allowed);
        Path file = tmp.resolve(name).resolve("federation.json");
        Files.writeString(file, f.toString());
        return file;
    }

    private Process child(String name, List<String> args) throws IOException {
        return sites.start(name + ".log", args, Map.of());
    }

    private String log(String name) throws IOException {
        return sites.log(name + ".log");
    }

    private static JsonArray rounds(Path run) throws IOException {
        return new RunDirectory(run).readRunInfo().getAsJsonObject("federation").getAsJsonArray("rounds");
    }

    @Test
    void oneSiteAloneEndsBitEqualToPlainTraining() throws Exception {
        CommandResult plain = TrainCommandTest.run(args(Fixtures.phantoms(), tmp.resolve("plain"), 6)
                .toArray(String[]::new));
        assertThat(plain.exit()).as(plain.err()).isZero();
        Path f = federation("site-a", freePort(), List.of(), 1, true);
        CommandResult site = TrainCommandTest.run(args(Fixtures.phantoms(), tmp.resolve("site"), 6, "--federation",
                f.toString()).toArray(String[]::new));
        assertThat(site.exit()).as(site.err() + site.out()).isZero();
        assertThat(site.out()).contains("joined federation").contains("round 0: sending decoder weights")
                .contains("federation finished");
        assertThat(TrainCommandTest.maxDiff(TrainCommandTest.decoder(tmp.resolve("plain")),
                TrainCommandTest.decoder(tmp.resolve("site")))).isZero();
        JsonArray rounds = rounds(tmp.resolve("site"));
        assertThat(rounds.size()).isEqualTo(4); // steps 2, 4, 6 and the final round
        assertThat(rounds.get(0).getAsJsonObject().getAsJsonArray("sites").toString()).isEqualTo("[\"site-a\"]");
        assertThat(tmp.resolve("site").resolve(Federation.DECODER_BEST_MERGED)).isRegularFile();
    }

    @Test
    void aMissingPasswordOrFederationFileIsAOneLineError() throws Exception {
        Path f = federation("site-a", freePort(), List.of(), 1, true);
        CertsCommand.environment = v -> null;
        CommandResult none = TrainCommandTest.run(args(Fixtures.phantoms(), tmp.resolve("x"), 2, "--federation",
                f.toString()).toArray(String[]::new));
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("SAMTUNE_KEYSTORE_PASSWORD").doesNotContain(PASSWORD);
        CertsCommand.environment = v -> PASSWORD;
        Files.writeString(f, Files.readString(f).replace("\"syncEvery\"", "\"syncEvry\""));
        CommandResult typo = TrainCommandTest.run(args(Fixtures.phantoms(), tmp.resolve("y"), 2, "--federation",
                f.toString()).toArray(String[]::new));
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).contains("federation.json").contains("syncEvry");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void threeSitesOnIdenticalDataEqualPlainTrainingEvenWhenOneIsKilled() throws Exception {
        CommandResult plain = TrainCommandTest.run(args(Fixtures.phantoms(), tmp.resolve("plain"), 8)
                .toArray(String[]::new));
        assertThat(plain.exit()).as(plain.err()).isZero();
        // all three start together (startPeers 3: a site starting late takes over a merge and is out of
        // step with plain training); after the kill the other two go on (minPeers 2)
        List<Integer> ports = List.of(freePort(), freePort(), freePort());
        Path fa = federation("site-a", ports.get(0), ports, 2, false);
        Path fb = federation("site-b", ports.get(1), ports, 2, false);
        Path fc = federation("site-c", ports.get(2), ports, 2, false);
        Process b = child("site-b", args(Fixtures.phantoms(), tmp.resolve("b"), 8, "--federation", fb.toString()));
        Process c = child("site-c", args(Fixtures.phantoms(), tmp.resolve("c"), 8, "--federation", fc.toString(),
                "--checkpoint-every", "1"));
        Thread killer = new Thread(() -> {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                while (System.nanoTime() < deadline && c.isAlive() && !log("site-c").contains("round 1: merged")) {
                    Thread.sleep(5);
                }
                c.destroyForcibly(); // SIGKILL in the middle of the run
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        killer.start();
        CommandResult a = TrainCommandTest.run(args(Fixtures.phantoms(), tmp.resolve("a"), 8, "--federation",
                fa.toString()).toArray(String[]::new));
        killer.join();
        assertThat(a.exit()).as("%s%s%nsite-b:%n%s%nsite-c:%n%s", a.err(), a.out(), log("site-b"), log("site-c")).isZero();
        assertThat(b.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(b.exitValue()).as(log("site-b")).isZero();
        assertThat(c.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(c.exitValue()).as("site-c was killed: %s", log("site-c")).isEqualTo(137);
        assertThat(log("site-c")).contains("round 1: merged 3 sites");
        assertThat(a.out()).contains("site-c left the federation").contains("once 2 sites are present (3 to start)");
        assertThat(a.out() + log("site-b") + log("site-c")).as("every site started at step 0 together")
                .doesNotContain("took over the merged decoder");

        var plainDecoder = TrainCommandTest.decoder(tmp.resolve("plain"));
        assertThat(TrainCommandTest.maxDiff(plainDecoder, TrainCommandTest.decoder(tmp.resolve("a")))).isLessThan(1e-6);
        assertThat(TrainCommandTest.maxDiff(plainDecoder, TrainCommandTest.decoder(tmp.resolve("b")))).isLessThan(1e-6);
        JsonArray ra = rounds(tmp.resolve("a"));
        assertThat(ra.asList().stream().map(r -> r.getAsJsonObject().getAsJsonArray("sites").size())).contains(3, 2);
        assertThat(new RunDirectory(tmp.resolve("c")).hasState()).as("the killed site keeps its finished work").isTrue();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void threeSitesOnTheirOwnDataEndWithOneDecoder() throws Exception {
        List<Path> data = sitesData("data-", 3);
        CommandResult solo = TrainCommandTest.run(args(data.get(0), tmp.resolve("solo"), 6).toArray(String[]::new));
        assertThat(solo.exit()).as(solo.err()).isZero();
        Path fa = federation("site-a", freePort(), List.of(), 3, true);
        Path fb = federation("site-b", freePort(), List.of(), 3, true);
        Path fc = federation("site-c", freePort(), List.of(), 3, true);
        Process b = child("site-b", args(data.get(1), tmp.resolve("b"), 6, "--federation", fb.toString()));
        Process c = child("site-c", args(data.get(2), tmp.resolve("c"), 9, "--federation", fc.toString()));
        CommandResult a = TrainCommandTest.run(args(data.get(0), tmp.resolve("a"), 6, "--federation", fa.toString())
                .toArray(String[]::new));
        assertThat(a.exit()).as("%s%s%nsite-b:%n%s%nsite-c:%n%s", a.err(), a.out(), log("site-b"), log("site-c")).isZero();
        assertThat(b.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(c.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(b.exitValue()).as(log("site-b")).isZero();
        assertThat(c.exitValue()).as(log("site-c")).isZero();
        assertThat(a.out()).containsPattern("round 0: sending decoder weights \\(0\\.\\d\\d MB, \\d+ values\\) and 4 samples");

        var da = TrainCommandTest.decoder(tmp.resolve("a"));
        assertThat(TrainCommandTest.maxDiff(da, TrainCommandTest.decoder(tmp.resolve("b")))).isZero();
        assertThat(TrainCommandTest.maxDiff(da, TrainCommandTest.decoder(tmp.resolve("c")))).isZero();
        assertThat(TrainCommandTest.maxDiff(da, TrainCommandTest.decoder(tmp.resolve("solo")))).isGreaterThan(1e-4);
        String last = last(rounds(tmp.resolve("a")));
        assertThat(last).isEqualTo(last(rounds(tmp.resolve("b")))).isEqualTo(last(rounds(tmp.resolve("c"))));
        assertThat(Sha256.of(tmp.resolve("a").resolve(Federation.DECODER_BEST_MERGED)))
                .isEqualTo(Sha256.of(tmp.resolve("b").resolve(Federation.DECODER_BEST_MERGED)))
                .isEqualTo(Sha256.of(tmp.resolve("c").resolve(Federation.DECODER_BEST_MERGED)));
        // site-c trained 9 steps, the others 6: they kept merging with their last weights until it finished
        assertThat(rounds(tmp.resolve("a")).size()).isEqualTo(rounds(tmp.resolve("c")).size());
        JsonObject info = new RunDirectory(tmp.resolve("a")).readRunInfo();
        assertThat(info.getAsJsonObject("federation").getAsJsonObject("merge").get("strategy").getAsString()).isEqualTo("mean");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoSitesTrainAdaptersAndDecoderTogether() throws Exception {
        List<Path> data = sitesData("lora-data-", 2);
        Path fa = federation("site-a", freePort(), List.of(), 2, true);
        Path fb = federation("site-b", freePort(), List.of(), 2, true);
        Process b = child("site-b", args(data.get(1), tmp.resolve("b"), 4, "--federation", fb.toString(), "--adapter",
                "lora"));
        CommandResult a = TrainCommandTest.run(args(data.get(0), tmp.resolve("a"), 4, "--federation", fa.toString(),
                "--adapter", "lora").toArray(String[]::new));
        assertThat(a.exit()).as("%s%s%nsite-b:%n%s", a.err(), a.out(), log("site-b")).isZero();
        assertThat(b.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(b.exitValue()).as(log("site-b")).isZero();
        assertThat(a.out()).contains("only decoder and adapter weights");
        var da = TrainCommandTest.decoder(tmp.resolve("a"));
        assertThat(da.keySet()).anyMatch(io.samtune.core.model.LoraConfig::isAdapterName);
        assertThat(TrainCommandTest.maxDiff(da, TrainCommandTest.decoder(tmp.resolve("b")))).isZero();
        assertThat(Sha256.of(tmp.resolve("a").resolve(Federation.DECODER_BEST_MERGED)))
                .isEqualTo(Sha256.of(tmp.resolve("b").resolve(Federation.DECODER_BEST_MERGED)));
    }

    /** The phantom slices dealt out over {@code sites} folders ({@code prefix0}, ...), slice i to site i mod sites. */
    private List<Path> sitesData(String prefix, int sites) throws IOException {
        List<Path> data = new ArrayList<>();
        for (int k = 0; k < sites; k++) {
            data.add(Files.createDirectories(tmp.resolve(prefix + k)));
        }
        try (Stream<Path> files = Files.list(Fixtures.phantoms())) {
            List<Path> mats = files.filter(p -> p.toString().endsWith(".mat")).sorted().toList();
            for (int i = 0; i < mats.size(); i++) {
                Files.copy(mats.get(i), data.get(i % sites).resolve(mats.get(i).getFileName()));
            }
        }
        return data;
    }

    private static String last(JsonArray rounds) {
        return rounds.get(rounds.size() - 1).getAsJsonObject().get("sha256").getAsString();
    }
}
