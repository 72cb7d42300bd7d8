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
 * sharing the cache folder fill it together; a shard run again encodes only what is missing;
 * {@code --shard auto} takes I and N from the launcher, as {@code train} takes its rank).
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

    @Option(names = "--shard", paramLabel = "I/N|auto", description = "Encode only shard I of N (1-based), e.g. 1/2 and 2/2 in two processes; auto: this process's rank in its launcher's world (RANK/WORLD_SIZE, else SLURM_PROCID/SLURM_NTASKS), as under srun.")
    String shard;

    @Option(names = "--devices", paramLabel = "D1,D2,...|all", split = ",", description = "Encode on several devices at once, one model each (gpu:0,gpu:1; all = every GPU; cpu,cpu to try it).")
    List<String> devices;

    @Option(names = "--encode-batch", paramLabel = "N", description = "Slices per encoder pass (default: ${DEFAULT-VALUE}); several at once pay on a GPU, not on a CPU.")
    int encodeBatch = 1;

    @Option(names = "--cache-dtype", paramLabel = "float16|float32", description = "Precision of cached embeddings (default: float16).")
    String cacheDtype = "float16";

    @Option(names = "--adapter-blocks", paramLabel = "K|I,J,...", description = "Cache what training with adapters on these blocks reads: the tokens entering the first of them (the last K blocks, or block indices as --lora-blocks takes them), not the image embedding.")
    String adapterBlocks;

    /** A temporary entry file untouched this long is one a killed process left: no write takes that long. */
    static final java.time.Duration ABANDONED = java.time.Duration.ofHours(1);

    /** Runs the command; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new CacheCommand(), out, err, args);
    }

    /** The first block of {@code --adapter-blocks} in this model. */
    private int firstAdaptedBlock(SamModel m) {
        try {
            return new io.samtune.core.model.LoraConfig(1, 1, adapterBlocks, List.of("q")).firstBlock(m.config());
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage().replace("--lora-blocks", "--adapter-blocks"));
        }
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
        String from = "";
        io.samtune.cluster.Launch launch = null;
        ModelConfig modelConfig;
        DataConfig data;
        try {
            if (shard != null && shard.trim().equalsIgnoreCase("auto")) {
                launch = io.samtune.cluster.Launch.resolve(null, null, System.getenv());
                index = launch.rank() + 1;
                count = launch.worldSize();
                from = " (from " + launch.source() + ")";
            } else if (shard != null) {
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
            if (encodeBatch < 1 || encodeBatch > 256) {
                throw new IllegalArgumentException("--encode-batch must be 1..256, got " + encodeBatch);
            }
            boolean half = Commands.float16(cacheDtype);
            modelConfig = slices.apply(model.apply(null, spec)).optCacheFloat16(half).build();
            data = slices.apply(DataConfig.builder(), spec).build();
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage());
        }
        List<String> on = new ArrayList<>();
        // one process per GPU under srun or torchrun, as train: LOCAL_RANK (SLURM_LOCALID) picks its GPU
        String launcherGpu = launch != null && model.device().equalsIgnoreCase("auto") ? Commands.localGpu(launch) : null;
        if ((devices == null || devices.isEmpty()) && launcherGpu != null) {
            on.add(launcherGpu);
        } else if (devices == null || devices.isEmpty()) {
            on.add(modelConfig.primaryDevice());
        } else {
            for (String d : devices) {
                if (d.equalsIgnoreCase("all")) {
                    int gpus = io.samtune.core.Engines.pytorch().getGpuCount();
                    if (gpus == 0) {
                        throw Commands.badOption(spec, "--devices all: the PyTorch engine sees no GPU; give devices by"
                                + " name (cpu,cpu to try it on the CPU)");
                    }
                    for (int g = 0; g < gpus; g++) {
                        on.add("gpu:" + g);
                    }
                } else {
                    on.add(d);
                }
            }
        }
        List<SamModel> models = new ArrayList<>();
        try {
            for (String d : on) {
                try {
                    models.add(modelConfig.toBuilder().optDevice(d).build().load());
                } catch (IllegalArgumentException e) {
                    throw Commands.badOption(spec, "--devices " + d + ": " + e.getMessage());
                }
            }
            SliceIndex all = data.scan();
            all.skipped().forEach(e -> err.println("skipped: " + e.getMessage()));
            List<Integer> mine = shardOf(all.size(), index, count);
            List<EmbeddingCache> caches = new ArrayList<>();
            for (SamModel m : models) {
                caches.add(adapterBlocks == null ? modelConfig.cache(m, data.window())
                        : new EmbeddingCache(modelConfig.cacheFolder(), m, data.window(), modelConfig.cacheFloat16(),
                                firstAdaptedBlock(m)));
            }
            if (!modelConfig.encoderPrecision().equals("float32") && models.stream().anyMatch(m -> !m.manager().getDevice().isGpu())) {
                err.println("warning: --precision " + modelConfig.encoderPrecision() + " on the CPU is slower than"
                        + " float32 (it is meant for GPUs); its embeddings are cached apart from float32 ones");
            }
            o.printf(Locale.ROOT, "shard %d/%d%s: %d of %d slices into %s%s%s%n", index, count, from, mine.size(),
                    all.size(), caches.get(0).folder(), caches.get(0).block() < 0 ? ""
                    : " (the tokens entering block " + caches.get(0).block() + ")", models.size() > 1
                    || launcherGpu != null ? " on " + String.join(", ", on) : "");
            int abandoned = caches.get(0).removeAbandonedWrites(ABANDONED);
            if (abandoned > 0) {
                o.printf(Locale.ROOT, "removed %d temporary file%s that interrupted writes left (untouched for over"
                        + " %d h)%n", abandoned, abandoned == 1 ? "" : "s", ABANDONED.toHours());
            }
            Counter counter = new Counter(err, "encoding slices", mine.size());
            long t0 = System.nanoTime();
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
            List<java.util.concurrent.Future<Void>> work = new ArrayList<>();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(models.size());
            try {
                for (int d = 0; d < models.size(); d++) { // each device takes the next slice not taken
                    SamModel sam = models.get(d);
                    EmbeddingCache cache = caches.get(d);
                    work.add(pool.submit(() -> {
                        for (int k = next.getAndAdd(encodeBatch); k < mine.size(); k = next.getAndAdd(encodeBatch)) {
                            List<io.samtune.data.SampleRef> files = new ArrayList<>();
                            for (int j = k; j < Math.min(mine.size(), k + encodeBatch); j++) {
                                files.add(all.info(mine.get(j)));
                            }
                            try (ai.djl.ndarray.NDManager m = sam.manager().newSubManager()) {
                                cache.getAllStored(files, m);
                            }
                            int n = done.addAndGet(files.size());
                            synchronized (counter) {
                                counter.accept(n);
                            }
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<Void> f : work) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (e.getCause() instanceof java.io.IOException io) {
                            throw io;
                        }
                        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            counter.finish();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long misses = 0;
            long hits = 0;
            long corrupt = 0;
            for (EmbeddingCache c : caches) {
                EmbeddingCache.Stats s = c.stats();
                misses += s.misses();
                hits += s.hits();
                corrupt += s.corrupt();
            }
            o.printf(Locale.ROOT, "encoded %d, already cached %d, recomputed %d (%.1f slices/s encoded)%n", misses,
                    hits, corrupt, misses / Math.max(seconds, 1e-9));
            return 0;
        } catch (DatasetException | MatFileException | CheckpointException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (java.io.IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } finally {
            models.forEach(SamModel::close);
        }
    }
}
