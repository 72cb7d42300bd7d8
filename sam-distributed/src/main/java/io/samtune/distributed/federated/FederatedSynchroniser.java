package io.samtune.distributed.federated;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterTls;
import io.samtune.train.DecoderTrainer;
import io.samtune.train.TrainableParameters;
import io.samtune.train.TrainingView;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A site's part in the federation, as the training loop sees it: every {@code syncEvery} optimizer
 * steps (and until every site has finished) it sends its decoder weights, privatised as configured
 * ({@link UpdatePrivacy}), takes over the round's merge ({@link RoundCoordinator}) in place (Adam's
 * moments stay local), scores it ({@link FederatedValidation}), and keeps the FedProx anchor
 * ({@link ProximalTerm}). A site joining late, or resuming, takes over the latest merged decoder
 * first. Only decoder weights, sample counts, validation scores and signatures leave a site.
 */
public final class FederatedSynchroniser implements AutoCloseable {

    /** Keeps the merged decoder with the best validation Dice (over the sites, weighted by their validation sizes). */
    @FunctionalInterface
    public interface BestKeeper extends FederatedValidation.BestKeeper {
    }

    private final FederationConfig config;
    private final Cluster cluster;
    private final RoundCoordinator rounds;
    private final UpdatePrivacy privacy;
    private final ProximalTerm proximal;
    private final Consumer<String> console;
    private final int scoreEvery;
    private final List<JsonObject> records = new ArrayList<>();
    private long nextRound;
    private long samplesSinceRound;
    private float[] anchor;
    private java.nio.file.Path stateFile;

    /**
     * @param config this site's federation settings
     * @param cluster the group of sites, joined (its listener becomes this site's)
     * @param identity this site's key and certificate (issued to its name) and the consortium's CA
     * @param compatibility the settings every site must share, by their names in messages
     * @param validator scores the decoder as it is now on this site's validation part, or null
     * @param validationSize the slices it scores (weights the sites' scores)
     * @param bestKeeper keeps the best merged decoder, or null
     * @param scoreEvery rounds between scorings of the merged decoder (the last round is always scored)
     * @param maxSamplesPerRound the most samples a site can train on in a round (batch x syncEvery)
     * @param console told what happens (one line each)
     */
    public FederatedSynchroniser(FederationConfig config, Cluster cluster, ClusterTls.Member identity,
                                 Map<String, String> compatibility, DecoderTrainer.Validator validator,
                                 int validationSize, BestKeeper bestKeeper, int scoreEvery, long maxSamplesPerRound,
                                 Consumer<String> console) {
        if (!identity.name().equals(cluster.self())) {
            throw new IllegalArgumentException("this site's certificate was issued to '" + identity.name()
                    + "', but it joined as '" + cluster.self() + "'");
        }
        this.config = config;
        this.cluster = cluster;
        this.console = console;
        this.scoreEvery = Math.max(1, scoreEvery);
        this.privacy = new UpdatePrivacy(config.clipNorm(), config.noiseMultiplier());
        this.proximal = new ProximalTerm(config.proximalMu());
        Map<String, String> shared = new java.util.TreeMap<>(compatibility);
        shared.put("merge", config.merge().toJson().toString());
        shared.put("siteWeights", config.siteWeightsJson().toString());
        shared.put("shardedMerge", Boolean.toString(config.shardedMerge()));
        RoundCoordinator.Rules rules = new RoundCoordinator.Rules(config.merge(), config.siteWeights(),
                maxSamplesPerRound, config.minPeers(), config.roundTimeoutSeconds(), config.shardedMerge(),
                List.copyOf(config.allowedSites()));
        this.rounds = new RoundCoordinator(cluster, new MessageSeal(cluster.self(), config.group(), identity), rules,
                shared, new RoundCoordinator.ValidationParts(validator, validationSize, bestKeeper), console);
        rounds.listen();
    }

    /**
     * Keeps the aggregation's state after each merge in {@code file} (server optimisers only), and
     * merges from the state there when this site resumes and no site holds a later merge.
     */
    public FederatedSynchroniser setStateFile(java.nio.file.Path file) {
        this.stateFile = file;
        return this;
    }

    /** Makes this site an altered member, for tests (see {@link SiteLink#alter}). */
    void alterOutgoing(java.util.function.BiFunction<String, Messages.Message, List<Messages.Message>> alter) {
        rounds.link.alter(alter);
    }

    /** Steps between rounds. */
    public int every() {
        return config.syncEvery();
    }

    /** Counts a step's samples for the next round and adds the FedProx term to its gradients (before the update). */
    public void reduce(TrainableParameters parameters, int samples) {
        samplesSinceRound += samples;
        proximal.addTo(parameters);
    }

    /** Before the first step: waits for the sites and takes over the latest merged decoder, if any. */
    public void start(TrainableParameters parameters, TrainingView run) {
        anchor = parameters.flatten();
        proximal.anchor(parameters, anchor);
        // a site resuming joins a federation under way: it needs only as many sites as a round does
        // (run is null outside a training run, as in the round benchmark)
        boolean resuming = run != null && run.startStep() > 0;
        if (resuming && stateFile != null && java.nio.file.Files.isRegularFile(stateFile)) {
            try {
                rounds.resumeFrom(ServerStateFile.read(stateFile, config.merge().toJson().toString(), anchor.length));
                console.accept("merges resume from the " + config.merge().name() + " state in " + stateFile);
            } catch (java.io.IOException e) {
                throw new FederationException(e.getMessage(), e);
            }
        }
        rounds.awaitSites(resuming ? config.minPeers() : config.startPeers(), anchor);
        Messages.Merged m = rounds.takeOverLatest();
        if (m != null) {
            adopt(parameters, m, parameters.flatten());
            console.accept("took over the merged decoder of round " + m.round() + " (sites " + m.sites() + "); this site"
                    + " contributes from round " + nextRound);
        }
    }

    /** A round: sends this site's weights, adopts the merge (every {@link #every()} steps). */
    public void synchronise(TrainableParameters parameters, TrainingView run) {
        round(parameters, false);
    }

    /** After the last step: rounds until every site has finished, so that all hold the same decoder; true if it changed the weights. */
    public boolean finish(TrainableParameters parameters, TrainingView run) {
        Messages.Merged last;
        do {
            last = round(parameters, true);
        } while (!last.allFinished());
        rounds.finish(last);
        console.accept("federation finished after round " + last.round() + "; every site holds the same decoder (SHA-256 "
                + sha256(last.values()).substring(0, 16) + "...)");
        return true;
    }

    /** One round: send this site's weights, wait for the merge, take it over, score it. */
    private Messages.Merged round(TrainableParameters parameters, boolean finished) {
        float[] mine = parameters.flatten();
        long samples = samplesSinceRound;
        samplesSinceRound = 0;
        Messages.Contribution c = new Messages.Contribution(nextRound, samples, finished, privacy.privatise(mine, anchor));
        int others = rounds.others();
        long bytes = 12L + 4L * mine.length;
        console.accept(String.format(Locale.ROOT, "round %d: sending decoder weights (%s, %d values) and %d sample%s"
                + " trained since the last round to %d site%s", c.round(), megabytes(bytes), mine.length, samples,
                samples == 1 ? "" : "s", others, others == 1 ? "" : "s"));
        Messages.Merged m = rounds.round(c);
        adopt(parameters, m, mine); // the weights have not changed while waiting
        long in = rounds.received(m.round());
        JsonObject record = new JsonObject();
        record.addProperty("round", m.round());
        JsonArray sites = new JsonArray();
        m.sites().forEach(sites::add);
        record.add("sites", sites);
        record.addProperty("samplesSent", samples);
        record.addProperty("bytesSent", rounds.sent(m.round()));
        record.addProperty("bytesReceived", in);
        record.addProperty("sha256", sha256(m.values()));
        record.addProperty("mergeRounds", m.state().rounds());
        record.addProperty("slices", rounds.slicesOf(m.round()));
        console.accept(String.format(Locale.ROOT, "round %d: merged %d site%s %s (%s), received %s", m.round(),
                m.sites().size(), m.sites().size() == 1 ? "" : "s", m.sites(), config.merge().name(), megabytes(in)));
        if (m.sites().contains(cluster.self()) && (m.allFinished() || m.round() % scoreEvery == 0)) {
            double dice = rounds.score(m, m.values());
            if (Double.isFinite(dice)) {
                record.addProperty("valDice", dice);
            }
        }
        records.add(record);
        return m;
    }

    /** Writes the merged weights into the decoder (in place) unless they are already its weights. */
    private void adopt(TrainableParameters parameters, Messages.Merged m, float[] now) {
        if (now.length != m.values().length) {
            throw new FederationException("the merged decoder of round " + m.round() + " has " + m.values().length
                    + " values, this site's " + now.length + "; the sites run different models");
        }
        if (!Arrays.equals(now, m.values())) {
            parameters.overwrite(m.values());
        }
        anchor = m.values();
        proximal.anchor(parameters, anchor);
        nextRound = m.round() + 1;
        if (stateFile != null && !m.state().buffers().isEmpty()) {
            try {
                ServerStateFile.write(stateFile, config.merge().toJson().toString(), m.round(), m.state());
            } catch (java.io.IOException e) {
                throw new FederationException("cannot keep the " + config.merge().name() + " state in " + stateFile + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** SHA-256 of the values as little-endian float32 (the same on every site that holds the same weights). */
    static String sha256(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
    }

    /** The rounds this site took part in, with its settings, for {@code run.json}. */
    public JsonObject record() {
        JsonObject o = config.toJson();
        JsonArray all = new JsonArray();
        records.forEach(all::add);
        o.add("rounds", all);
        FederatedValidation v = rounds.validation();
        if (v.bestRound() >= 0) {
            o.addProperty("bestRound", v.bestRound());
            o.addProperty("bestValDice", v.bestDice());
        }
        Map<String, String> refused = rounds.refused();
        if (!refused.isEmpty()) {
            JsonObject r = new JsonObject();
            refused.forEach(r::addProperty);
            o.add("refused", r);
        }
        return o;
    }

    /** The latest merged round this site knows, or -1. */
    public long latestRound() {
        return rounds.latestRound();
    }

    @Override
    public void close() {
        proximal.close();
        rounds.close();
    }

    @Override
    public String toString() {
        return "FederatedSynchroniser[" + cluster.self() + ", every " + config.syncEvery() + " steps, "
                + config.merge().describe() + ", " + records.size() + " rounds]";
    }
}
