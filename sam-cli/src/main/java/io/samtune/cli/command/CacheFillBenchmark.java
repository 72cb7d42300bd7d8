package io.samtune.cli.command;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.samtune.core.Engines;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.image.IntensityWindow;
import io.samtune.core.io.JavaProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The rate at which {@code samtune cache --shard I/N} fills the embedding cache: N shard processes
 * (one libtorch thread each) encode their shares of the same slices into one cache folder at the
 * same time, as N machines sharing a folder would. Each process encodes one slice first (not
 * counted), then waits until all are ready; the figure is every counted slice over the time the
 * slowest shard took.
 */
public final class CacheFillBenchmark {

    private static final String READY = "ready-";
    private static final String GO = "go";

    private CacheFillBenchmark() {
    }

    /**
     * Slices per second with {@code shards} shard processes, each encoding {@code perShard} distinct
     * slices of {@code files} after its warm-up slice.
     *
     * @throws IllegalArgumentException when there are fewer than {@code shards * (perShard + 1)} files
     */
    public static double slicesPerSecond(SamConfig sizes, List<Path> files, int shards, int perShard) throws Exception {
        if (files.size() < shards * (perShard + 1)) {
            throw new IllegalArgumentException("the cache-fill figure needs " + shards * (perShard + 1)
                    + " slice files, --data has " + files.size());
        }
        Path dir = Files.createTempDirectory("samtune-cache-benchmark");
        Path config = dir.resolve("sizes.json");
        Files.writeString(config, sizes.toJson().toString());
        Path list = dir.resolve("slices.txt");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < shards * (perShard + 1); i++) {
            names.add(files.get(i).toAbsolutePath().toString());
        }
        Files.write(list, names);
        List<Process> children = new ArrayList<>();
        try {
            for (int s = 1; s <= shards; s++) {
                List<String> cmd = JavaProcess.command(CacheFillBenchmark.class, config.toString(), list.toString(),
                        dir.resolve("cache-" + s).toString(), dir.toString(), s + "/" + shards);
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("shard-" + s + ".log").toFile());
                pb.environment().put("OMP_NUM_THREADS", "1");
                children.add(pb.start());
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
            while (countReady(dir) < shards) {
                for (Process p : children) {
                    if (!p.isAlive() && p.exitValue() != 0) {
                        throw new IllegalStateException("a cache benchmark shard failed: " + Files.readString(
                                dir.resolve("shard-" + (children.indexOf(p) + 1) + ".log")));
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the cache benchmark shards did not get ready in 20 minutes");
                }
                Thread.sleep(50);
            }
            Files.writeString(dir.resolve(GO), "");
            double slowest = 0;
            for (int s = 1; s <= shards; s++) {
                Process p = children.get(s - 1);
                if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    throw new IllegalStateException("cache benchmark shard " + s + " failed: "
                            + Files.readString(dir.resolve("shard-" + s + ".log")));
                }
                slowest = Math.max(slowest, Double.parseDouble(Files.readString(dir.resolve("seconds-" + s)).trim()));
            }
            return shards * perShard / slowest;
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long countReady(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(READY)).count();
        }
    }

    /**
     * One shard: {@code SIZES.json SLICES.txt CACHE-DIR SIGNAL-DIR I/N}. Writes {@code ready-I} after
     * its warm-up slice, waits for {@code go}, encodes its share and writes {@code seconds-I}.
     */
    public static void main(String[] args) throws Exception {
        SamConfig sizes = SamConfig.fromJson(Path.of(args[0]));
        List<String> all = Files.readAllLines(Path.of(args[1]));
        Path cacheDir = Path.of(args[2]);
        Path signals = Path.of(args[3]);
        String[] shard = args[4].split("/");
        int index = Integer.parseInt(shard[0]);
        int count = Integer.parseInt(shard[1]);
        Engines.pytorch();
        JniUtils.setNumThreads(1);
        List<io.samtune.data.SampleRef> mine = new ArrayList<>();
        for (int k : CacheCommand.shardOf(all.size(), index, count)) {
            mine.add(io.samtune.data.figshare.FigshareSource.refOf(Path.of(all.get(k))));
        }
        try (SamModel sam = SamModel.random(sizes, 1, Device.cpu())) {
            EmbeddingCache cache = new EmbeddingCache(cacheDir, sam, IntensityWindow.minMax(), true);
            try (NDManager m = sam.manager().newSubManager()) {
                cache.get(mine.get(0), m);
            }
            Files.writeString(signals.resolve(READY + index), "");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
            while (!Files.exists(signals.resolve(GO)) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long t0 = System.nanoTime();
            for (io.samtune.data.SampleRef f : mine.subList(1, mine.size())) {
                try (NDManager m = sam.manager().newSubManager()) {
                    cache.get(f, m);
                }
            }
            Files.writeString(signals.resolve("seconds-" + index), Double.toString((System.nanoTime() - t0) / 1e9));
        }
    }
}
