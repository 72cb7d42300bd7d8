package io.samtune.distributed.dataparallel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.io.JavaProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The child processes of a multi-process benchmark ({@link CollectiveBenchmark}, the federated
 * rounds): starts one per member with its arguments, waits for each member's
 * {@code result-K.json}, then writes {@code stop} so that all leave together. A member that dies
 * or takes over ten minutes is named with its log.
 */
public final class BenchmarkProcesses {

    /** The file whose appearance tells the members to leave. */
    public static final String STOP = "stop";

    private BenchmarkProcesses() {
    }

    /**
     * Runs {@code members} processes of {@code main} in {@code dir} and returns their results in order.
     *
     * @param what the members' name in messages ("site", "member")
     * @param args the arguments of member K
     * @param variable an environment variable for the members (the keystores' password), or null
     * @param value its value
     */
    public static List<JsonObject> run(Class<?> main, Path dir, int members, String what, IntFunction<List<String>> args,
                                       String variable, String value) throws Exception {
        List<Process> children = new ArrayList<>();
        try {
            for (int k = 0; k < members; k++) {
                List<String> cmd = JavaProcess.command(main, args.apply(k).toArray(String[]::new));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.resolve(what + "-" + k + ".log").toFile());
                if (variable != null) {
                    pb.environment().put(variable, value);
                }
                children.add(pb.start());
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            List<JsonObject> results = new ArrayList<>();
            for (int k = 0; k < members; k++) {
                Path result = dir.resolve("result-" + k + ".json");
                while (!Files.exists(result)) {
                    if (!children.get(k).isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("benchmark " + what + " " + k + " of " + members + " failed: "
                                + Files.readString(dir.resolve(what + "-" + k + ".log")));
                    }
                    Thread.sleep(20);
                }
                results.add(JsonParser.parseString(Files.readString(result)).getAsJsonObject());
            }
            Files.writeString(dir.resolve(STOP), "");
            for (Process p : children) {
                p.waitFor(30, TimeUnit.SECONDS);
            }
            return results;
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
        }
    }

    /** The median of a result's {@code "seconds"}. */
    public static double medianSeconds(JsonObject result) {
        JsonArray t = result.getAsJsonArray("seconds");
        double[] times = new double[t.size()];
        for (int i = 0; i < times.length; i++) {
            times[i] = t.get(i).getAsDouble();
        }
        Arrays.sort(times);
        int n = times.length;
        return n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    }

    /** The mean over the results of a number each holds. */
    public static double mean(List<JsonObject> results, String key, double fallback) {
        return results.stream().mapToDouble(o -> o.get(key).getAsDouble()).average().orElse(fallback);
    }

    /** Removes a scratch folder and everything in it. */
    public static void delete(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
