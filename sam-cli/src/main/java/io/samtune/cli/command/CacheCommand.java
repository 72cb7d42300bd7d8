package io.samtune.cli.command;

import io.samtune.cli.option.ModelOptions;
import io.samtune.cli.option.SliceOptions;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.data.DatasetException;
import io.samtune.data.MatFileException;
import io.samtune.data.SliceIndex;
import io.samtune.data.SliceInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune cache}: encodes every slice of a folder that the embedding cache does not hold
 * yet, all of them or one of N disjoint shards ({@code --shard I/N}: N processes on any machines
 * sharing the cache folder fill it together; a shard run again encodes only what is missing).
 */
@Command(name = "cache", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fill the embedding cache: encode every slice not cached yet (or one shard of them).",
        footer = {"", "Shards split the folder's slices in natural order: slice k goes to shard (k mod N) + 1.",
            "Exit codes: 0 done; 1 bad data or checkpoint; 2 bad options."})
public final class CacheCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    SliceOptions slices = new SliceOptions();

    @Option(names = "--shard", paramLabel = "I/N", description = "Encode only shard I of N (1-based), e.g. 1/2 and 2/2 in two processes.")
    String shard;

    @Option(names = "--cache-dtype", paramLabel = "float16|float32", description = "Precision of cached embeddings (default: float16).")
    String cacheDtype = "float16";

    /** Runs the command; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new CacheCommand(), out, err, args);
    }

    /** The positions of shard {@code i} (1-based) of {@code n} among {@code count} items. */
    static List<Integer> shardOf(int count, int i, int n) {
        List<Integer> out = new ArrayList<>();
        for (int k = i - 1; k < count; k += n) {
            out.add(k);
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int index = 1;
        int count = 1;
        ModelConfig modelConfig;
        DataConfig data;
        try {
            if (shard != null) {
                String[] p = shard.split("/");
                try {
                    index = Integer.parseInt(p[0].trim());
                    count = Integer.parseInt(p[1].trim());
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--shard takes I/N, e.g. 1/2, got '" + shard + "'");
                }
                if (p.length != 2 || count < 1 || index < 1 || index > count) {
                    throw new IllegalArgumentException("--shard I/N needs 1 <= I <= N, got '" + shard + "'");
                }
            }
            boolean half = Commands.float16(cacheDtype);
            modelConfig = slices.apply(model.apply(null, spec)).optCacheFloat16(half).build();
            data = slices.apply(DataConfig.builder(), spec).build();
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage());
        }
        try (SamModel sam = modelConfig.load()) {
            SliceIndex all = data.scan();
            all.skipped().forEach(e -> err.println("skipped: " + e.getMessage()));
            List<Integer> mine = shardOf(all.size(), index, count);
            EmbeddingCache cache = modelConfig.cache(sam, data.window());
            o.printf(Locale.ROOT, "shard %d/%d: %d of %d slices into %s%n", index, count, mine.size(), all.size(),
                    cache.folder());
            Counter counter = new Counter(err, "encoding slices", mine.size());
            long t0 = System.nanoTime();
            for (int k = 0; k < mine.size(); k++) {
                SliceInfo info = all.info(mine.get(k));
                try (ai.djl.ndarray.NDManager m = sam.manager().newSubManager()) {
                    cache.get(info.file(), m);
                }
                counter.accept(k + 1);
            }
            counter.finish();
            double seconds = (System.nanoTime() - t0) / 1e9;
            EmbeddingCache.Stats s = cache.stats();
            o.printf(Locale.ROOT, "encoded %d, already cached %d, recomputed %d (%.1f slices/s encoded)%n", s.misses(),
                    s.hits(), s.corrupt(), s.misses() / Math.max(seconds, 1e-9));
            return 0;
        } catch (DatasetException | MatFileException | CheckpointException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (java.io.IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }
}
