package io.samtune.distributed.dataparallel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.cluster.Launch;
import io.samtune.distributed.federated.Certificates;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The cost of one all-reduce of the cluster layer: {@code members} processes on 127.0.0.1 (one per
 * member, plain TCP or TLS 1.3), each summing a float32 vector of {@code values} over and over. Per
 * member it measures the wall time of a round, the process CPU time a round costs and the bytes the
 * process writes to its sockets in a round (Linux's {@code /proc/self/io}), after twelve warm-up rounds.
 */
public final class CollectiveBenchmark {

    /** Password of the benchmark's throw-away keystores, given to the member processes. */
    private static final String PASSWORD_VARIABLE = "SAMTUNE_BENCHMARK_PASSWORD";
    private static final int WARM_UP_ROUNDS = 12;

    /**
     * One figure.
     *
     * @param members the number of member processes
     * @param tls whether they talk TLS 1.3
     * @param seconds the median wall time of one all-reduce, over the rounds of rank 0
     * @param cpuSecondsPerMember the process CPU time one all-reduce costs a member (mean over members)
     * @param bytesSentPerMember the bytes a member writes to its sockets per all-reduce (mean; -1 where unknown)
     */
    public record Figure(int members, boolean tls, double seconds, double cpuSecondsPerMember, double bytesSentPerMember) {

        /** As JSON: {@code members, tls, seconds, cpu_seconds_per_member, bytes_sent_per_member}. */
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("members", members);
            o.addProperty("tls", tls);
            o.addProperty("seconds", round(seconds));
            o.addProperty("cpu_seconds_per_member", round(cpuSecondsPerMember));
            o.addProperty("bytes_sent_per_member", Math.round(bytesSentPerMember));
            return o;
        }

        private static double round(double v) {
            return Math.round(v * 10000) / 10000.0;
        }
    }

    private CollectiveBenchmark() {
    }

    /** The bytes a bandwidth-optimal all-reduce moves out of each member: {@code 2 (N-1)/N x values x 4}. */
    public static double optimalBytesPerMember(int members, int values) {
        return 2.0 * (members - 1) / members * values * 4;
    }

    /**
     * Measures {@code rounds} all-reduces of {@code values} float32 values among {@code members}
     * child processes, started here and stopped at the end.
     *
     * @throws IllegalStateException naming the member that failed, with its output
     */
    public static Figure measure(int members, boolean tls, int values, int rounds) throws Exception {
        Path dir = Files.createTempDirectory("samtune-collective-benchmark");
        char[] password = "benchmark-only".toCharArray();
        try {
            if (tls) {
                Certificates.createCa(dir.resolve("ca"), "benchmark-ca", password);
                for (int r = 0; r < members; r++) {
                    String name = name(r);
                    Certificates.createSite(dir.resolve("ca"), name, dir.resolve(name), password);
                }
            }
            List<JsonObject> results = BenchmarkProcesses.run(CollectiveBenchmark.class, dir, members, "member",
                    r -> List.of(dir.toString(), Integer.toString(r), Integer.toString(members), Integer.toString(values),
                            Integer.toString(rounds), Boolean.toString(tls)), PASSWORD_VARIABLE, new String(password));
            return new Figure(members, tls, BenchmarkProcesses.medianSeconds(results.get(0)),
                    BenchmarkProcesses.mean(results, "cpuSeconds", 0), BenchmarkProcesses.mean(results, "bytes", -1));
        } finally {
            BenchmarkProcesses.delete(dir);
        }
    }

    private static String name(int rank) {
        return new Launch(rank, rank + 1, 0, "benchmark").memberName();
    }

    /**
     * A member: {@code DIR RANK MEMBERS VALUES ROUNDS TLS}. Writes {@code result-RANK.json} after its
     * rounds and leaves once {@code stop} appears (so that no member leaves a round the others are in).
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rank = Integer.parseInt(args[1]);
        int members = Integer.parseInt(args[2]);
        int values = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        boolean tls = Boolean.parseBoolean(args[5]);
        ClusterConfig.Builder b = ClusterConfig.builder().setGroup("samtune-collective-benchmark")
                .setMember(name(rank)).setRendezvous(dir.resolve("rendezvous"));
        if (tls) {
            char[] password = System.getenv(PASSWORD_VARIABLE).toCharArray();
            b.optTls(ClusterTls.member(dir.resolve(name(rank)).resolve(name(rank) + ".p12"), password,
                    dir.resolve("ca").resolve("ca.pem"), null, line -> { }).context());
        }
        Duration timeout = Duration.ofMinutes(5);
        try (JGroupsCluster cluster = JGroupsCluster.join(b.build())) {
            cluster.awaitMembers(members, timeout);
            float[] v = new float[values];
            Random random = new Random(rank);
            for (int i = 0; i < values; i++) {
                v[i] = (float) random.nextGaussian();
            }
            long round = 1;
            for (; round <= WARM_UP_ROUNDS; round++) { // the compiler settles before the timed rounds
                cluster.allReduce().sum(round, v, timeout);
            }
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long written0 = bytesWritten();
            JsonArray seconds = new JsonArray();
            for (int i = 0; i < rounds; i++, round++) {
                long t0 = System.nanoTime();
                cluster.allReduce().sum(round, v, timeout);
                seconds.add((System.nanoTime() - t0) / 1e9);
            }
            long written1 = bytesWritten();
            JsonObject o = new JsonObject();
            o.add("seconds", seconds);
            o.addProperty("cpuSeconds", (os.getProcessCpuTime() - cpu0) / 1e9 / rounds);
            o.addProperty("bytes", written0 < 0 ? -1 : (double) (written1 - written0) / rounds);
            Path tmp = dir.resolve("result-" + rank + ".tmp");
            Files.writeString(tmp, o.toString());
            Files.move(tmp, dir.resolve("result-" + rank + ".json"));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!Files.exists(dir.resolve(BenchmarkProcesses.STOP)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        System.out.printf(Locale.ROOT, "member %d of %d done%n", rank, members);
    }

    /** The bytes this process has written (sockets included; {@code wchar} of /proc/self/io), or -1 off Linux. */
    public static long bytesWritten() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("wchar:")) {
                    return Long.parseLong(line.substring(6).trim());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
