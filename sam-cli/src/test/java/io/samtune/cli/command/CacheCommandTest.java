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
}
