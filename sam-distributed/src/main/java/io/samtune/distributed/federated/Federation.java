package io.samtune.distributed.federated;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterException;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.train.TrainableParameters;
import io.samtune.train.TrainingStrategy;
import io.samtune.train.TrainingView;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Federated training, the {@link TrainingStrategy} of a site: joins the sites of a
 * {@code federation.json} over mutual TLS and runs a {@link FederatedSynchroniser}'s rounds in the loop.
 * The best merged decoder is kept in the run folder as {@value #DECODER_BEST_MERGED}.
 *
 * <pre>{@code
 * new FineTuning(config).setStrategy(new Federation(FederationConfig.read(file), password, System.out::println))
 *         .run(new RunDirectory(out), false);
 * }</pre>
 */
public final class Federation implements TrainingStrategy {

    /** The merged decoder with the best validation Dice over the sites: the same file on every site. */
    public static final String DECODER_BEST_MERGED = "decoder-best-merged.safetensors";

    private final FederationConfig config;
    private final char[] password;
    private final Consumer<String> console;
    private int scoreEvery = 1;
    private FederatedSynchroniser synchroniser;

    /**
     * @param config the site's settings
     * @param password the keystore's password
     * @param console told what is sent and merged each round
     */
    public Federation(FederationConfig config, char[] password, Consumer<String> console) {
        this.config = Objects.requireNonNull(config, "config");
        this.password = password.clone();
        this.console = Objects.requireNonNull(console, "console");
    }

    /** Scores the merged decoder every {@code rounds} rounds (default 1; the last round always). */
    public Federation setScoreEvery(int rounds) {
        this.scoreEvery = Math.max(1, rounds);
        return this;
    }

    /** The settings. */
    public FederationConfig config() {
        return config;
    }

    @Override
    public void setUp(Context run) throws IOException {
        ClusterTls.Member tls = tls();
        ClusterConfig.Builder b = ClusterConfig.builder().setGroup(config.group()).setMember(config.site())
                .optBindHost(config.bindHost()).optBindPort(config.bindPort()).optPortRange(0)
                .optFailureTimeoutMillis(Math.round(config.failureTimeoutSeconds() * 1000)).optTls(tls.context())
                .optJoinTimeoutMillis(config.roundTimeoutSeconds() * 1000L); // the join, too, waits no longer than a round
        ClusterConfig cc = (config.rendezvous() != null ? b.setRendezvous(config.rendezvous()) : b.setPeers(config.peers()))
                .build();
        Cluster cluster;
        try {
            cluster = JGroupsCluster.join(cc);
        } catch (ClusterException e) {
            throw new IOException("site " + config.site() + " cannot join the federation: " + e.getMessage(), e);
        }
        Map<String, String> compatibility = new TreeMap<>();
        compatibility.put("model sizes", String.valueOf(run.provenance().get("model")));
        compatibility.put("base checkpoint (SHA-256)", String.valueOf(run.provenance().get("checkpointSha256")));
        compatibility.put("syncEvery", Integer.toString(config.syncEvery()));
        int perStep = run.config().optimization().samplesPerStep();
        compatibility.put("samples per step", Integer.toString(perStep));
        compatibility.put("adapter", String.valueOf(run.model().adapters()));
        TrainableParameters shapes = TrainableParameters.of(run.model(), run.config().model() != null
                && run.config().model().trainPromptEncoder());
        compatibility.put("trained", shapes.name());
        FederatedSynchroniser.BestKeeper keeper = (values, round, dice) -> {
            try (NDManager scope = run.model().manager().newSubManager()) {
                Map<String, NDArray> arrays = new LinkedHashMap<>();
                int at = 0;
                for (Map.Entry<String, NDArray> e : shapes.arrays().entrySet()) {
                    int n = Math.toIntExact(e.getValue().size());
                    arrays.put(e.getKey(), scope.create(Arrays.copyOfRange(values, at, at + n), e.getValue().getShape()));
                    at += n;
                }
                Map<String, String> meta = new LinkedHashMap<>(shapes.metadata());
                meta.put("round", Long.toString(round));
                meta.put("valDice", Double.toString(dice));
                meta.put("federationSites", String.join(",", config.allowedSites()));
                run.run().saveDecoder(DECODER_BEST_MERGED, arrays, run.model().config(), meta);
            }
        };
        FederatedSynchroniser s;
        try {
            s = new FederatedSynchroniser(config, cluster, tls, compatibility, run.validator(), run.validationSize(),
                    keeper, scoreEvery, (long) perStep * config.syncEvery(), console);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        console.accept("site " + config.site() + " (certificate of " + tls.name() + ") joined federation "
                + config.group() + " on " + config.bindHost() + ":" + config.bindPort() + " with TLS 1.3; merges "
                + config.merge().describe() + " every " + config.syncEvery() + " steps once " + config.minPeers()
                + " sites are present" + (config.startPeers() == config.minPeers() ? ""
                        : " (" + config.startPeers() + " to start)")
                + "; only " + (run.model().adapters() == null ? "decoder" : "decoder and adapter")
                + " weights, sample counts and validation scores leave this site");
        s.setStateFile(run.run().file(ServerStateFile.NAME));
        synchroniser = s;
    }

    /** The site's synchroniser, once {@link #setUp set up}. */
    private FederatedSynchroniser synchroniser() {
        if (synchroniser == null) {
            throw new IllegalStateException("set up the federation (setUp) before training");
        }
        return synchroniser;
    }

    @Override
    public Step reduce(TrainableParameters parameters, Step local, TrainingView run) {
        synchroniser().reduce(parameters, local.samples());
        return local;
    }

    @Override
    public void start(TrainableParameters parameters, TrainingView run) {
        synchroniser().start(parameters, run);
    }

    @Override
    public void afterUpdate(TrainableParameters parameters, TrainingView run) {
        FederatedSynchroniser s = synchroniser();
        if (s.every() > 0 && run.step() % s.every() == 0) {
            s.synchronise(parameters, run);
        }
    }

    @Override
    public boolean finish(TrainableParameters parameters, TrainingView run) {
        return synchroniser().finish(parameters, run);
    }

    @Override
    public void describe(JsonObject runInfo) {
        if (synchroniser == null) {
            return;
        }
        JsonObject now = synchroniser.record();
        if (runInfo.has("federation") && runInfo.get("federation").isJsonObject()
                && runInfo.getAsJsonObject("federation").has("rounds")) {
            JsonArray all = runInfo.getAsJsonObject("federation").getAsJsonArray("rounds").deepCopy();
            all.addAll(now.getAsJsonArray("rounds"));
            now.add("rounds", all);
        }
        runInfo.add("federation", now);
    }

    @Override
    public void close() {
        if (synchroniser != null) {
            synchroniser.close();
            synchroniser = null;
        }
    }

    /** This site's TLS context, after checking that its certificate carries its name. */
    private ClusterTls.Member tls() throws IOException {
        ClusterTls.Member member = ClusterTls.member(config.keystore(), password, config.ca(), config.crl(),
                Set.copyOf(config.allowedSites()), console);
        if (!member.name().equals(config.site())) {
            throw new IOException(config.keystore() + " was issued to '" + member.name() + "', but federation.json names"
                    + " this site '" + config.site() + "'; use that site's keystore or fix \"site\"");
        }
        return member;
    }

    @Override
    public String toString() {
        return "Federation[" + config.site() + ", " + config.merge().name() + " every " + config.syncEvery() + "]";
    }
}
