package io.samtune.distributed.dataparallel;

import com.google.gson.JsonObject;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterException;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.cluster.Launch;
import io.samtune.train.AllReduceGradients;
import io.samtune.train.TrainableParameters;
import io.samtune.train.TrainingStrategy;
import io.samtune.train.TrainingView;
import io.samtune.train.WorkerLostException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Data-parallel training across processes, the {@link TrainingStrategy} of a worker:
 * the workers meet on the cluster layer, each computes its share of every decoder call, and the
 * gradients are summed over the workers in rank order every step, so N workers with a global batch
 * B train as one process with batch B (up to the order of float sums). Before the first step the
 * workers compare their settings, data and checkpoint ({@link JobFingerprint}); any difference stops
 * them all, naming the worker and setting. The group's name comes from the run folder, so runs that
 * share a rendezvous folder never meet. Rank 0 writes the run folder; the others write nothing and,
 * on {@code --resume}, read rank 0's checkpoint.
 */
public final class DataParallel implements TrainingStrategy {

    private final Launch launch;
    private final ClusterConfig cluster;
    private final Duration timeout;
    private final Consumer<String> console;
    private JGroupsCluster group;
    private AllReduceGradients reducer;
    private Path digests;

    /**
     * @param launch this worker's rank and the world size
     * @param cluster how the workers meet (its member name is replaced by the rank's)
     * @param timeout how long to wait for the workers at the start and for each step's sum
     * @param console told of the group forming
     */
    public DataParallel(Launch launch, ClusterConfig cluster, Duration timeout, Consumer<String> console) {
        this.launch = Objects.requireNonNull(launch, "launch");
        this.cluster = cluster.toBuilder().setMember(launch.memberName()).build();
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.console = Objects.requireNonNull(console, "console");
    }

    /**
     * After every update, appends the step and the SHA-256 of this worker's trained weights (their
     * float32 bits) to {@code folder/rank-NNNN.txt}: the files of all workers are equal line by line
     * when every worker holds the same weights. Off by default.
     */
    public DataParallel setStepDigests(Path folder) {
        this.digests = folder;
        return this;
    }

    @Override
    public void afterUpdate(TrainableParameters parameters, TrainingView run) {
        if (digests == null) {
            return;
        }
        float[] w = parameters.flatten();
        ByteBuffer bits = ByteBuffer.allocate(4 * w.length);
        bits.asFloatBuffer().put(w);
        try {
            Files.createDirectories(digests);
            Files.writeString(digests.resolve(launch.memberName() + ".txt"), run.step() + " " + sha256(bits.array())
                    + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the step digests to " + digests, e);
        }
    }

    @Override
    public boolean isGlobalZero() {
        return launch.rank() == 0;
    }

    @Override
    public int rank() {
        return launch.rank();
    }

    @Override
    public int worldSize() {
        return launch.worldSize();
    }

    @Override
    public void setUp(Context run) throws IOException {
        ClusterConfig config = cluster.toBuilder().setGroup(groupOf(cluster.group(), run.run().path())).build();
        JGroupsCluster joined;
        try {
            joined = JGroupsCluster.join(config);
        } catch (ClusterException e) {
            throw new IOException("worker " + launch.memberName() + ": " + e.getMessage(), e);
        }
        try {
            FingerprintExchange exchange = new FingerprintExchange(joined, JobFingerprint.of(run, launch.worldSize()));
            exchange.announce();
            console.accept("worker " + launch.rank() + " of " + launch.worldSize() + " (from " + launch.source()
                    + ") waiting for the others in " + (config.rendezvous() != null ? config.rendezvous()
                    : config.peers()) + " (group " + config.group() + ")");
            List<String> expected = new ArrayList<>();
            for (int r = 0; r < launch.worldSize(); r++) {
                expected.add(new Launch(r, launch.worldSize(), 0, launch.source()).memberName());
            }
            exchange.await(expected, timeout);
            joined.awaitMembers(launch.worldSize(), timeout);
            if (!joined.members().equals(expected)) {
                throw new IOException("the group holds " + joined.members() + ", expected exactly " + expected
                        + "; is a rank given twice, or a worker of another run started with the same --out?");
            }
            console.accept("all " + launch.worldSize() + " workers present with the same settings, data and"
                    + " checkpoint; each computes its share of every batch");
        } catch (IOException e) { // a ClusterException too: the message names who is missing
            joined.close();
            throw e;
        }
        group = joined;
        reducer = new AllReduceGradients((round, values) -> {
            try {
                return joined.allReduce().sum(round, values, timeout);
            } catch (ClusterException e) {
                throw new WorkerLostException(e.getMessage(), e);
            }
        }, launch.rank(), launch.worldSize());
    }

    @Override
    public Step reduce(TrainableParameters parameters, Step local, TrainingView run) {
        if (reducer == null) {
            throw new IllegalStateException("set up the data-parallel strategy (setUp) before training");
        }
        return reducer.reduce(parameters, local, run);
    }

    @Override
    public void describe(JsonObject runInfo) {
        runInfo.add("dataParallel", record());
    }

    @Override
    public void close() {
        if (group != null) {
            group.close();
            group = null;
        }
    }

    /**
     * The group of a run's workers: {@code prefix}, the run folder's name and a hash of its absolute
     * path, so that runs sharing a rendezvous folder or ports never meet (workers of one run name
     * the same {@code --out}).
     */
    static String groupOf(String prefix, Path runFolder) {
        Path absolute = runFolder.toAbsolutePath().normalize();
        String name = absolute.getFileName() == null ? "run" : absolute.getFileName().toString()
                .replaceAll("[^A-Za-z0-9._-]", "_");
        return prefix + "-" + name + "-" + sha256(absolute.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonObject record() {
        JsonObject o = new JsonObject();
        o.addProperty("worldSize", launch.worldSize());
        o.addProperty("source", launch.source());
        o.addProperty("rendezvous", cluster.rendezvous() != null ? cluster.rendezvous().toString()
                : String.join(",", cluster.peers()));
        return o;
    }

    @Override
    public String toString() {
        return "DataParallel[" + launch + "]";
    }
}
