package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.core.Reference;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import io.samtune.cli.Samtune;
import io.samtune.core.io.JavaProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards fill the embedding cache exactly as one pass does, and a shard run again encodes nothing. */
class CacheCommandTest {

    @TempDir
    Path tmp;

    private static CommandResult run(Path cache, String... extra) {
        String[] base = {"--data", Fixtures.demo().toString(), "--checkpoint", Reference.file("tiny-sam.pth").toString(),
            "--config", Reference.file("tiny-sam-config.json").toString(), "--device", "cpu", "--cache", cache.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CommandResult.of(CacheCommand::run, all);
    }

    private static Process start(Path cache, Path log, String... extra) throws Exception {
        return start(cache, log, Map.of(), extra);
    }

    private static Process start(Path cache, Path log, Map<String, String> env, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(JavaProcess.command(Samtune.class, "cache", "--data", Fixtures.demo().toString(),
                "--checkpoint", Reference.file("tiny-sam.pth").toString(), "--config",
                Reference.file("tiny-sam-config.json").toString(), "--device", "cpu", "--cache", cache.toString()));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeAll(List.of("RANK", "WORLD_SIZE", "LOCAL_RANK", "SLURM_PROCID", "SLURM_NTASKS",
                "SLURM_LOCALID"));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The finished entries: files ending in .emb, by path below {@code dir}. */
    private static Map<String, byte[]> finished(Path dir) throws Exception {
        Map<String, byte[]> out = entries(dir);
        out.keySet().removeIf(k -> !k.endsWith(".emb"));
        return out;
    }

    /** How many entries are finished in a folder that a process is writing to (0 before it exists). */
    private static long finishedWhileWriting(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".emb")).count();
        } catch (java.io.UncheckedIOException e) {
            return 0; // a temporary file renamed while the folder was read: look again
        }
    }

    private static Map<String, byte[]> entries(Path dir) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    void twoShardsEqualOnePassAndRunningAgainEncodesNothing() throws Exception {
        Path one = tmp.resolve("one");
        CommandResult whole = run(one);
        assertThat(whole.exit()).as(whole.err()).isZero();
        assertThat(whole.out()).contains("encoded 13, already cached 0");

        Path sharded = tmp.resolve("sharded");
        CommandResult first = run(sharded, "--shard", "1/2");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).contains("shard 1/2: 7 of 13 slices").contains("encoded 7");
        CommandResult second = run(sharded, "--shard", "2/2");
        assertThat(second.out()).contains("encoded 6");
        Map<String, byte[]> a = entries(one);
        Map<String, byte[]> b = entries(sharded);
        assertThat(b.keySet()).isEqualTo(a.keySet()).hasSize(13);
        a.forEach((k, v) -> assertThat(b.get(k)).as(k).isEqualTo(v));

        CommandResult again = run(sharded, "--shard", "1/2");
        assertThat(again.out()).contains("encoded 0, already cached 7");

        CommandResult bad = run(sharded, "--shard", "3/2");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--shard I/N needs 1 <= I <= N");
    }

    @Test
    void twoShardProcessesAtOnceEqualOnePassAndAKilledShardEncodesOnlyWhatIsMissing() throws Exception {
        Path one = tmp.resolve("one");
        assertThat(run(one).exit()).isZero();
        Map<String, byte[]> expected = entries(one);
        assertThat(expected).hasSize(13);

        Path together = tmp.resolve("together");
        List<Process> shards = new ArrayList<>();
        try {
            // the second as srun would start it: its shard from the launcher's variables
            shards.add(start(together, tmp.resolve("shard-1.log"), "--shard", "1/2"));
            shards.add(start(together, tmp.resolve("shard-2.log"), Map.of("SLURM_PROCID", "1", "SLURM_NTASKS", "2"),
                    "--shard", "auto"));
            for (int i = 0; i < 2; i++) {
                Path log = tmp.resolve("shard-" + (i + 1) + ".log");
                assertThat(shards.get(i).waitFor(120, TimeUnit.SECONDS)).as("shard %d done", i + 1).isTrue();
                assertThat(shards.get(i).exitValue()).as(Files.readString(log)).isZero();
            }
        } finally {
            shards.forEach(Process::destroyForcibly);
        }
        assertThat(Files.readString(tmp.resolve("shard-2.log"))).contains("shard 2/2 (from SLURM_PROCID/SLURM_NTASKS): 6 of 13");
        Map<String, byte[]> both = entries(together);
        assertThat(both.keySet()).isEqualTo(expected.keySet());
        expected.forEach((k, v) -> assertThat(both.get(k)).as(k).isEqualTo(v));

        // killed once it has written its first entry, then run again
        Path killed = tmp.resolve("killed");
        Process p = start(killed, tmp.resolve("killed.log"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (p.isAlive() && System.nanoTime() < deadline && finishedWhileWriting(killed) == 0) {
                Thread.sleep(2);
            }
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        int before = finished(killed).size();
        assertThat(before).as(Files.readString(tmp.resolve("killed.log"))).isBetween(1, 13);
        // what a kill mid-write leaves: an old one is removed, a fresh one (maybe being written) kept
        Path folder = Files.list(killed).filter(Files::isDirectory).findFirst().orElseThrow();
        Path sub = Files.createDirectories(folder.resolve("ab"));
        Path old = Files.write(sub.resolve(".ab12.emb.4711.tmp"), new byte[100]);
        Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(CacheCommand.ABANDONED).minusSeconds(60)));
        Path fresh = Files.write(sub.resolve(".ab34.emb.4712.tmp"), new byte[100]);
        CommandResult again = run(killed);
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).contains("encoded " + (13 - before) + ", already cached " + before)
                .containsPattern("removed [1-9]\\d* temporary files? that interrupted writes left");
        assertThat(old).doesNotExist();
        assertThat(fresh).exists();
        Map<String, byte[]> resumed = finished(killed);
        assertThat(resumed.keySet()).isEqualTo(expected.keySet());
        expected.forEach((k, v) -> assertThat(resumed.get(k)).as(k).isEqualTo(v));
    }

    @Test
    void twoDevicesFillTheCacheAsOneDoes() throws Exception {
        Path one = tmp.resolve("one");
        assertThat(run(one).exit()).isZero();
        Path two = tmp.resolve("two");
        CommandResult r = run(two, "--devices", "cpu,cpu");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("on cpu, cpu").contains("encoded 13, already cached 0");
        Map<String, byte[]> a = entries(one);
        Map<String, byte[]> b = entries(two);
        assertThat(b.keySet()).isEqualTo(a.keySet()).hasSize(13);
        a.forEach((k, v) -> assertThat(b.get(k)).as(k).isEqualTo(v));
        CommandResult bad = run(tmp.resolve("x"), "--devices", "cpu,tpu");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--devices tpu");
    }

    @Test
    void severalSlicesPerPassAndAFloat16EncoderFillTheCacheAsExpected() throws Exception {
        Path one = tmp.resolve("one");
        assertThat(run(one, "--cache-dtype", "float32").exit()).isZero();
        Path batched = tmp.resolve("batched");
        CommandResult r = run(batched, "--cache-dtype", "float32", "--encode-batch", "4");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("encoded 13, already cached 0");
        assertThat(entries(batched).keySet()).isEqualTo(entries(one).keySet()).hasSize(13);
        // the same embeddings as one slice a pass, up to the order of float sums
        try (io.samtune.core.SamModel model = io.samtune.core.SamModel.load(Reference.file("tiny-sam.pth"),
                io.samtune.core.SamConfig.fromJson(Reference.file("tiny-sam-config.json")), ai.djl.Device.cpu());
             ai.djl.ndarray.NDManager m = model.manager().newSubManager()) {
            var window = io.samtune.core.image.IntensityWindow.minMax();
            var a = new io.samtune.core.cache.EmbeddingCache(one, model, window, false);
            var b = new io.samtune.core.cache.EmbeddingCache(batched, model, window, false);
            io.samtune.data.SliceIndex slices = io.samtune.data.SliceIndex.scan(Fixtures.demo());
            for (int i = 0; i < slices.size(); i++) {
                float[] x = a.get(slices.info(i), m).embedding().toFloatArray();
                float[] y = b.get(slices.info(i), m).embedding().toFloatArray();
                for (int k = 0; k < x.length; k++) {
                    assertThat((double) Math.abs(x[k] - y[k])).as("slice %d value %d", i, k).isLessThan(1e-5);
                }
            }
            assertThat(a.stats().misses() + b.stats().misses()).as("every slice read from the caches").isZero();
        }

        CommandResult half = run(one, "--cache-dtype", "float32", "--precision", "float16");
        assertThat(half.exit()).as(half.err()).isZero();
        assertThat(half.out()).as("float16 entries are not the float32 ones").contains("encoded 13, already cached 0");
        assertThat(half.err()).contains("--precision float16 on the CPU is slower");
        assertThat(entries(one)).hasSize(26);
        CommandResult bf = run(one, "--precision", "bfloat16");
        assertThat(bf.exit()).isEqualTo(2);
        assertThat(bf.err()).contains("--precision bfloat16 is not available").contains("float16");
        CommandResult zero = run(one, "--encode-batch", "0");
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--encode-batch must be 1..256");
    }
}
