package io.samtune.distributed.dataparallel;

import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterException;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.cluster.Launch;

import com.google.gson.JsonObject;
import io.samtune.train.AllReduceGradients;
import io.samtune.train.Collaboration;
import io.samtune.train.GradientReducer;
import io.samtune.train.WorkerLostException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Data-parallel training across processes for {@link io.samtune.train.FineTuning#setCollaboration}:
 * the workers meet on the cluster layer, each computes its share of every decoder call, and the
 * gradients are summed over the workers in rank order every step, so N workers with a global batch
 * B train as one process with batch B (up to the order of float sums). Rank 0 writes the run folder;
 * the others write nothing and, on {@code --resume}, read rank 0's checkpoint.
 */
public final class DataParallel implements Collaboration.Factory {

    private final Launch launch;
    private final ClusterConfig cluster;
    private final Duration timeout;
    private final Consumer<String> console;

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

    @Override
    public boolean writesRun() {
        return launch.rank() == 0;
    }

    @Override
    public Collaboration join(Collaboration.Context run) throws IOException {
        if (run.resume() && launch.rank() == 0) {
            JsonObject info = run.run().readRunInfo();
            int saved = info.has("dataParallel") ? info.getAsJsonObject("dataParallel").get("worldSize").getAsInt() : 1;
            if (saved != launch.worldSize()) {
                throw new IOException("cannot resume " + run.run().path() + " with world size " + launch.worldSize()
                        + ": it was trained with world size " + saved + "; resume with " + saved + " workers");
            }
        }
        JGroupsCluster group;
        try {
            group = JGroupsCluster.join(cluster);
        } catch (ClusterException e) {
            throw new IOException("worker " + launch.memberName() + ": " + e.getMessage(), e);
        }
        try {
            console.accept("worker " + launch.rank() + " of " + launch.worldSize() + " (from " + launch.source()
                    + ") waiting for the others in " + (cluster.rendezvous() != null ? cluster.rendezvous()
                    : cluster.peers()));
            group.awaitMembers(launch.worldSize(), timeout);
            List<String> expected = new ArrayList<>();
            for (int r = 0; r < launch.worldSize(); r++) {
                expected.add(new Launch(r, launch.worldSize(), 0, launch.source()).memberName());
            }
            if (!group.members().equals(expected)) {
                throw new IOException("the group holds " + group.members() + ", expected exactly " + expected
                        + "; is another run using the same rendezvous folder or ports, or a rank given twice?");
            }
            console.accept("all " + launch.worldSize() + " workers present; each computes its share of every batch");
            if (launch.rank() == 0 && !run.resume()) { // recorded at once: a resume after SIGKILL checks it
                JsonObject info = run.run().readRunInfo();
                info.add("dataParallel", record());
                run.run().writeRunInfo(info);
            }
        } catch (IOException e) { // a ClusterException too: the message names who is missing
            group.close();
            throw e;
        }
        AllReduceGradients reducer = new AllReduceGradients((round, values) -> {
            try {
                return group.allReduce().sum(round, values, timeout);
            } catch (ClusterException e) {
                throw new WorkerLostException(e.getMessage(), e);
            }
        }, launch.worldSize());
        return new Collaboration() {
            @Override
            public GradientReducer reducer() {
                return reducer;
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
            public void describe(JsonObject runInfo) {
                runInfo.add("dataParallel", record());
            }

            @Override
            public void close() {
                group.close();
            }
        };
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
