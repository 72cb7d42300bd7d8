package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.core.Reference;
import io.samtune.data.CommandResult;
import io.samtune.data.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
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
                float[] x = a.get(slices.info(i).file(), m).embedding().toFloatArray();
                float[] y = b.get(slices.info(i).file(), m).embedding().toFloatArray();
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
