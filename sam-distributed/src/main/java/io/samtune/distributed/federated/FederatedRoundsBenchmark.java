package io.samtune.distributed.federated;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.distributed.dataparallel.BenchmarkProcesses;
import io.samtune.distributed.federated.aggregation.Aggregations;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Federated rounds as sites run them: {@code sites} processes on 127.0.0.1 (one per site, TLS 1.3,
 * signed messages), each contributing a decoder of {@code values} float32 values to every round and
 * taking over the merge. Per site it measures the process CPU time and the bytes written to sockets
 * ({@code /proc/self/io}) per round, and the median wall time of a round at the first site, after
 * three warm-up rounds.
 */
public final class FederatedRoundsBenchmark {

    private static final String PASSWORD_VARIABLE = "SAMTUNE_BENCHMARK_PASSWORD";
    private static final int WARM_UP_ROUNDS = 12;

    /**
     * One figure.
     *
     * @param sites the number of site processes
     * @param sharded whether the merge was split among the sites
     * @param seconds the median wall time of a round at the first site
     * @param cpuSecondsPerSite the process CPU time a round costs a site (mean over sites)
     * @param bytesSentPerSite the bytes a site writes to its sockets per round (mean; -1 where unknown)
     */
    public record Figure(int sites, boolean sharded, double seconds, double cpuSecondsPerSite, double bytesSentPerSite) {

        /** As JSON: {@code sites, sharded, seconds, cpu_seconds_per_site, bytes_sent_per_site}. */
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("sites", sites);
            o.addProperty("sharded", sharded);
            o.addProperty("seconds", Math.round(seconds * 10000) / 10000.0);
            o.addProperty("cpu_seconds_per_site", Math.round(cpuSecondsPerSite * 10000) / 10000.0);
            o.addProperty("bytes_sent_per_site", Math.round(bytesSentPerSite));
            return o;
        }
    }

    private FederatedRoundsBenchmark() {
    }

    /**
     * Measures {@code rounds} rounds among {@code sites} child processes, started here and stopped at the end.
     *
     * @throws IllegalStateException naming the site that failed, with its output
     */
    public static Figure measure(int sites, boolean sharded, int values, int rounds) throws Exception {
        Path dir = Files.createTempDirectory("samtune-federated-benchmark");
        char[] password = "benchmark-only".toCharArray();
        try {
            Certificates.createCa(dir.resolve("ca"), "benchmark-ca", password);
            for (int k = 0; k < sites; k++) {
                Certificates.createSite(dir.resolve("ca"), name(k), dir.resolve(name(k)), password);
            }
            List<JsonObject> results = BenchmarkProcesses.run(FederatedRoundsBenchmark.class, dir, sites, "site",
                    k -> List.of(dir.toString(), Integer.toString(k), Integer.toString(sites), Integer.toString(values),
                            Integer.toString(rounds), Boolean.toString(sharded)), PASSWORD_VARIABLE, new String(password));
            return new Figure(sites, sharded, BenchmarkProcesses.medianSeconds(results.get(0)),
                    BenchmarkProcesses.mean(results, "cpuSeconds", 0), BenchmarkProcesses.mean(results, "bytes", -1));
        } finally {
            BenchmarkProcesses.delete(dir);
        }
    }

    private static String name(int k) {
        return String.format(Locale.ROOT, "site-%02d", k);
    }

    /**
     * A site: {@code DIR INDEX SITES VALUES ROUNDS SHARDED}. Writes {@code result-INDEX.json} after its
     * rounds and leaves once {@code stop} appears.
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int index = Integer.parseInt(args[1]);
        int sites = Integer.parseInt(args[2]);
        int values = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        boolean sharded = Boolean.parseBoolean(args[5]);
        String self = name(index);
        List<String> names = new ArrayList<>();
        for (int k = 0; k < sites; k++) {
            names.add(name(k));
        }
        char[] password = System.getenv(PASSWORD_VARIABLE).toCharArray();
        ClusterTls.Member tls = ClusterTls.member(dir.resolve(self).resolve(self + ".p12"), password,
                dir.resolve("ca").resolve("ca.pem"), Set.copyOf(names), line -> { });
        ClusterConfig config = ClusterConfig.builder().setGroup("samtune-federated-benchmark").setMember(self)
                .setRendezvous(dir.resolve("rendezvous")).optTls(tls.context())
                .optFailureTimeoutMillis(60_000).build(); // eight sites on two cores: no site is suspected for being busy
        JGroupsCluster cluster = JGroupsCluster.join(config);
        RoundCoordinator.Rules rules = new RoundCoordinator.Rules(Aggregations.parse("mean"), Map.of(), Long.MAX_VALUE,
                sites, 300, sharded, List.of());
        try (RoundCoordinator coordinator = new RoundCoordinator(cluster, new MessageSeal(self, "benchmark", tls), rules,
                Map.of(), new RoundCoordinator.ValidationParts(null, 0, null), System.out::println)) {
            coordinator.listen();
            float[] w = new float[values];
            Random random = new Random(index);
            for (int i = 0; i < values; i++) {
                w[i] = (float) random.nextGaussian() * 0.02f;
            }
            coordinator.awaitSites(sites, w);
            long round = 0;
            for (; round < WARM_UP_ROUNDS; round++) { // the compiler settles before the timed rounds
                w = coordinator.round(new Messages.Contribution(round, 1, false, step(w, random))).values();
            }
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long written0 = io.samtune.distributed.dataparallel.CollectiveBenchmark.bytesWritten();
            JsonArray seconds = new JsonArray();
            for (int i = 0; i < rounds; i++, round++) {
                float[] mine = step(w, random);
                long t0 = System.nanoTime();
                w = coordinator.round(new Messages.Contribution(round, 1, false, mine)).values();
                seconds.add((System.nanoTime() - t0) / 1e9);
            }
            long written1 = io.samtune.distributed.dataparallel.CollectiveBenchmark.bytesWritten();
            JsonObject o = new JsonObject();
            o.add("seconds", seconds);
            o.addProperty("cpuSeconds", (os.getProcessCpuTime() - cpu0) / 1e9 / rounds);
            o.addProperty("bytes", written0 < 0 ? -1 : (double) (written1 - written0) / rounds);
            Path tmp = dir.resolve("result-" + index + ".tmp");
            Files.writeString(tmp, o.toString());
            Files.move(tmp, dir.resolve("result-" + index + ".json"));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!Files.exists(dir.resolve(BenchmarkProcesses.STOP)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        System.out.printf(Locale.ROOT, "site %d of %d done%n", index, sites);
    }

    /** A local step: the merged weights moved a little (the work between rounds is not timed). */
    private static float[] step(float[] w, Random random) {
        float[] out = w.clone();
        for (int i = 0; i < out.length; i += 97) {
            out[i] += (float) random.nextGaussian() * 1e-3f;
        }
        return out;
    }
}
