package io.samtune.distributed.federated;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterException;
import io.samtune.cluster.ClusterTls;
import io.samtune.train.DecoderTrainer;
import io.samtune.train.TrainableParameters;
import io.samtune.train.TrainingView;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The sites' rounds: every {@code syncEvery} optimizer steps (and once after the last) each site
 * present sends its decoder weights and the samples it trained on since the last round; the
 * present site first in name order merges them in name order and sends the result, and every site
 * writes it into its decoder in place (Adam's moments stay local). Sites that finished keep taking
 * part with their last weights and no samples until every site has finished, so all end with the
 * same decoder. A site joining late, or resuming, takes over the latest merged decoder first.
 *
 * <p>Only decoder weights, sample counts and validation scores leave a site. It also counts the
 * samples of each step and adds the FedProx term to the gradients ({@link #reduce}, before each update).
 *
 * <p>Every message carries the sender's certificate and its signature over the sender's name and
 * the message: a site takes a message from a member only when the consortium's CA issued that
 * certificate to the member's name, so no site can speak under another's name.
 */
public final class FederatedSynchroniser implements Cluster.Listener, AutoCloseable {

    private static final byte HELLO = 1;
    private static final byte REFUSE = 2;
    private static final byte CONTRIBUTION = 3;
    private static final byte MERGED = 4;
    private static final byte SCORE = 5;
    private static final byte DONE = 6;
    private static final byte LATEST = 7;
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final int MAX_CERTIFICATE = 16 << 10;
    private static final int MAX_SIGNATURE = 1 << 10;

    /** Keeps the merged decoder with the best validation Dice (over the sites, weighted by their validation sizes). */
    @FunctionalInterface
    public interface BestKeeper {
        /** A merged decoder better than any before. */
        void keep(float[] weights, long round, double valDice) throws IOException;
    }

    private record Contribution(String site, long round, long samples, double weight, boolean finished, float[] values) {
    }

    private record Merged(long round, boolean allFinished, List<String> sites, float[] values) {
    }

    private record Score(double dice, int count) {
    }

    private final FederationConfig config;
    private final Cluster cluster;
    private final ClusterTls.Member identity;
    private final byte[] ownCertificate;
    /** Peers' certificates already checked against the CA, by their encoding. */
    private final Map<ByteBuffer, X509Certificate> checked = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> compatibility;
    private final DecoderTrainer.Validator validator;
    private final int validationSize;
    private final BestKeeper bestKeeper;
    private final Consumer<String> console;
    private final int scoreEvery;
    private final ExecutorService replies = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "federation-replies");
        t.setDaemon(true);
        return t;
    });
    private final SecureRandom noise = new SecureRandom();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private List<String> present = List.of();
    private final TreeSet<String> accepted = new TreeSet<>();
    private final Map<String, Long> peerLatest = new HashMap<>();
    private final Map<String, String> refusedPeers = new TreeMap<>();
    /** Refusals of this site received, by the refusing site: this site waits for others and names them if it gives up. */
    private final Map<String, String> refusedBy = new TreeMap<>();
    private final Map<Long, TreeMap<String, Contribution>> contributions = new HashMap<>();
    private final Map<Long, TreeMap<String, Score>> scores = new HashMap<>();
    private final Map<Long, TreeSet<String>> done = new HashMap<>();
    private final Map<Long, Long> received = new HashMap<>();
    private Merged latest;

    private long nextRound;
    private long samplesSinceRound;
    private float[] anchor;
    private double bestDice = Double.NEGATIVE_INFINITY;
    private long bestRound = -1;
    private final List<JsonObject> records = new ArrayList<>();

    /**
     * @param config this site's federation settings
     * @param cluster the group of sites, joined (its listener becomes this)
     * @param identity this site's key and certificate (issued to its name) and the consortium's CA
     * @param compatibility the settings every site must share, by their names in messages
     *     (model sizes, base checkpoint SHA-256, syncEvery, merge)
     * @param validator scores the decoder as it is now on this site's validation part, or null
     * @param validationSize the slices it scores (weights the sites' scores)
     * @param bestKeeper keeps the best merged decoder, or null
     * @param scoreEvery rounds between scorings of the merged decoder (the last round is always scored)
     * @param console told what happens (one line each)
     */
    public FederatedSynchroniser(FederationConfig config, Cluster cluster, ClusterTls.Member identity,
                                 Map<String, String> compatibility, DecoderTrainer.Validator validator,
                                 int validationSize, BestKeeper bestKeeper, int scoreEvery, Consumer<String> console) {
        this.config = config;
        this.cluster = cluster;
        this.identity = identity;
        if (!identity.name().equals(cluster.self())) {
            throw new IllegalArgumentException("this site's certificate was issued to '" + identity.name()
                    + "', but it joined as '" + cluster.self() + "'");
        }
        try {
            this.ownCertificate = identity.certificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalArgumentException("this site's certificate cannot be encoded: " + e.getMessage(), e);
        }
        this.compatibility = new TreeMap<>(compatibility);
        this.validator = validator;
        this.validationSize = validator == null ? 0 : validationSize;
        this.bestKeeper = bestKeeper;
        this.scoreEvery = Math.max(1, scoreEvery);
        this.console = console;
        accepted.add(cluster.self());
        cluster.setListener(this);
        onMembers(cluster.members());
    }

    /** Steps between rounds. */
    public int every() {
        return config.syncEvery();
    }

    // ---------------------------------------------------------------- the loop's hooks

    /** Counts a step's samples for the next round and adds the FedProx term to its gradients (before the update). */
    public void reduce(TrainableParameters parameters, int samples) {
        samplesSinceRound += samples;
        if (config.proximalMu() > 0 && anchor != null) {
            addProximalTerm(parameters);
        }
    }

    /** FedProx: the gradient of {@code mu/2 * ||w - w_merged||^2}, added to the loss's gradient. */
    private void addProximalTerm(TrainableParameters parameters) {
        int at = 0;
        float mu = (float) config.proximalMu();
        for (NDArray a : parameters.arrays().values()) {
            float[] w = a.toFloatArray();
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray g = a.getGradient();
                g.attach(scope);
                float[] grad = g.toFloatArray();
                for (int i = 0; i < w.length; i++) {
                    grad[i] += mu * (w[i] - anchor[at + i]);
                }
                NDArray v = scope.create(grad, a.getShape()).toDevice(g.getDevice(), false);
                v.attach(scope);
                g.set(new NDIndex("..."), v);
            }
            at += w.length;
        }
    }

    /** Before the first step: waits for the sites and takes over the latest merged decoder, if any. */
    public void start(TrainableParameters parameters, TrainingView run) {
        anchor = parameters.flatten();
        hello(null, false);
        // a site resuming joins a federation under way: it needs only as many sites as a round does
        // (run is null outside a training run, as in the round benchmark)
        boolean resuming = run != null && run.startStep() > 0;
        awaitPeers(resuming ? config.minPeers() : config.startPeers());
        String from = null;
        long groupLatest = -1;
        lock.lock();
        try {
            for (String s : accepted) {
                long l = peerLatest.getOrDefault(s, -1L);
                if (!s.equals(cluster.self()) && l > groupLatest) {
                    groupLatest = l;
                    from = s;
                }
            }
        } finally {
            lock.unlock();
        }
        if (from != null) {
            send(from, new byte[] {LATEST});
            Merged m = awaitMerged(groupLatest, "the merged decoder of round " + groupLatest + " from " + from);
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
        Merged last;
        do {
            last = round(parameters, true);
        } while (!last.allFinished());
        Merged m = last;
        byte[] bye = message(DONE, out -> out.writeLong(m.round()));
        send(null, bye);
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(30, config.roundTimeoutSeconds()));
            while (!presentOf(m.sites()).stream().allMatch(s -> s.equals(cluster.self())
                    || done.getOrDefault(m.round(), new TreeSet<>()).contains(s)) && System.nanoTime() < deadline) {
                changed.await(200, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        console.accept("federation finished after round " + m.round() + "; every site holds the same decoder (SHA-256 "
                + sha256(m.values()).substring(0, 16) + "...)");
        return true;
    }

    // ---------------------------------------------------------------- rounds

    /** One round: send this site's weights, wait for the merge, take it over, score it. */
    private Merged round(TrainableParameters parameters, boolean finished) {
        float[] mine = parameters.flatten();
        float[] sent = privatise(mine);
        long samples = samplesSinceRound;
        samplesSinceRound = 0;
        long r = nextRound;
        Contribution c = new Contribution(cluster.self(), r, samples, config.weight(), finished, sent);
        byte[] bytes = message(CONTRIBUTION, out -> {
            out.writeLong(r);
            out.writeLong(samples);
            out.writeDouble(config.weight());
            out.writeBoolean(finished);
            writeFloats(out, sent);
        });
        int others;
        lock.lock();
        try {
            contributions.computeIfAbsent(r, k -> new TreeMap<>()).put(c.site(), c);
            others = (int) present.stream().filter(s -> !s.equals(cluster.self())).count();
        } finally {
            lock.unlock();
        }
        console.accept(String.format(Locale.ROOT, "round %d: sending decoder weights (%s, %d values) and %d sample%s"
                + " trained since the last round to %d site%s", r, megabytes(bytes.length), sent.length, samples,
                samples == 1 ? "" : "s", others, others == 1 ? "" : "s"));
        send(null, bytes);
        Merged m = awaitMerged(r, "round " + r);
        adopt(parameters, m, mine); // the weights have not changed while waiting
        long in;
        lock.lock();
        try {
            in = received.getOrDefault(m.round(), 0L);
        } finally {
            lock.unlock();
        }
        JsonObject record = new JsonObject();
        record.addProperty("round", m.round());
        JsonArray sites = new JsonArray();
        m.sites().forEach(sites::add);
        record.add("sites", sites);
        record.addProperty("samplesSent", samples);
        record.addProperty("bytesSent", (long) bytes.length * others);
        record.addProperty("bytesReceived", in);
        record.addProperty("sha256", sha256(m.values()));
        console.accept(String.format(Locale.ROOT, "round %d: merged %d site%s %s (%s), received %s", m.round(),
                m.sites().size(), m.sites().size() == 1 ? "" : "s", m.sites(), config.merge().label(), megabytes(in)));
        if (m.sites().contains(cluster.self()) && (m.allFinished() || m.round() % scoreEvery == 0)) {
            double dice = scoreRound(parameters, m);
            if (Double.isFinite(dice)) {
                record.addProperty("valDice", dice);
            }
        }
        records.add(record);
        return m;
    }

    /** The update as sent: clipped to {@code clipNorm} around the last merged decoder, then noised. */
    private float[] privatise(float[] mine) {
        if (config.clipNorm() <= 0) {
            return mine;
        }
        double norm = 0;
        for (int i = 0; i < mine.length; i++) {
            double d = mine[i] - anchor[i];
            norm += d * d;
        }
        norm = Math.sqrt(norm);
        double scale = norm > config.clipNorm() ? config.clipNorm() / norm : 1;
        double sigma = config.noiseMultiplier() * config.clipNorm();
        float[] out = new float[mine.length];
        for (int i = 0; i < mine.length; i++) {
            double d = (mine[i] - anchor[i]) * scale + (sigma > 0 ? sigma * noise.nextGaussian() : 0);
            out[i] = (float) (anchor[i] + d);
        }
        return out;
    }

    /** Writes the merged weights into the decoder (in place) unless they are already its weights. */
    private void adopt(TrainableParameters parameters, Merged m, float[] now) {
        if (now.length != m.values().length) {
            throw new FederationException("the merged decoder of round " + m.round() + " has " + m.values().length
                    + " values, this site's " + now.length + "; the sites run different models");
        }
        if (!Arrays.equals(now, m.values())) {
            parameters.overwrite(m.values());
        }
        anchor = m.values();
        nextRound = m.round() + 1;
    }

    /** Waits for the merge of round {@code r} (or a later one), merging it here when this site coordinates. */
    private Merged awaitMerged(long r, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.roundTimeoutSeconds());
        int said = -1;
        Merged mergedHere = null;
        lock.lock();
        try {
            while (true) {
                if (latest != null && latest.round() >= r) {
                    return latest;
                }
                List<String> expected = presentOf(accepted);
                if (expected.size() >= config.minPeers()) {
                    TreeMap<String, Contribution> got = contributions.getOrDefault(r, new TreeMap<>());
                    if (expected.get(0).equals(cluster.self()) && got.keySet().containsAll(expected)) {
                        // with the contributions of sites that sent theirs and left since: a coordinator
                        // that dies while sending its merge leaves the next one to merge the same sites,
                        // so a site that got the first merge and one that gets this one hold the same decoder
                        TreeSet<String> sites = new TreeSet<>(expected);
                        for (String site : got.keySet()) {
                            if (accepted.contains(site) || site.equals(cluster.self())) {
                                sites.add(site);
                            }
                        }
                        mergedHere = merge(r, List.copyOf(sites), got);
                        latest = mergedHere;
                        contributions.keySet().removeIf(k -> k <= r);
                        break;
                    }
                } else if (expected.size() != said) {
                    said = expected.size();
                    console.accept("waiting for peers: " + said + " of " + config.minPeers() + " present " + expected
                            + " (" + what + ")");
                }
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    throw new FederationException(expected.size() < config.minPeers()
                            ? "only " + expected.size() + " of " + config.minPeers() + " sites present " + expected
                                    + " after " + config.roundTimeoutSeconds() + " s (" + what + "); start the other"
                                    + " sites, or check peers/rendezvous, certificates and allowedSites"
                                    + refusedSummary()
                            : latest != null && latest.allFinished()
                                    ? "the other sites finished the federation at round " + latest.round() + " before this"
                                            + " site took part; this site holds that final decoder"
                                    : "no merge of " + what + " within " + config.roundTimeoutSeconds() + " s (sites present: "
                                            + expected + "); raise roundTimeoutSeconds if a site is slow");
                }
                changed.await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FederationException("interrupted while waiting for " + what, e);
        } finally {
            lock.unlock();
        }
        Merged m = mergedHere;
        send(null, merged(m));
        return m;
    }

    private Merged merge(long r, List<String> sites, Map<String, Contribution> got) {
        List<float[]> vectors = new ArrayList<>();
        double[] weights = new double[sites.size()];
        boolean allFinished = true;
        for (int k = 0; k < sites.size(); k++) {
            Contribution c = got.get(sites.get(k));
            vectors.add(c.values());
            weights[k] = c.samples() * c.weight();
            allFinished &= c.finished();
        }
        if (Arrays.stream(weights).sum() == 0) { // no samples since the last round: the sites' weights alone
            for (int k = 0; k < sites.size(); k++) {
                weights[k] = got.get(sites.get(k)).weight();
            }
        }
        return new Merged(r, allFinished, List.copyOf(sites), config.merge().merge(vectors, weights));
    }

    /** Scores the merged decoder here, exchanges the scores of the round's sites, and keeps it when best. */
    private double scoreRound(TrainableParameters parameters, Merged m) {
        double dice;
        try {
            dice = validator == null ? Double.NaN : validator.meanDice();
        } catch (IOException e) {
            throw new FederationException("cannot score the merged decoder of round " + m.round() + ": " + e.getMessage(),
                    e);
        }
        Score mine = new Score(dice, validationSize);
        send(null, message(SCORE, out -> {
            out.writeLong(m.round());
            out.writeDouble(mine.dice());
            out.writeInt(mine.count());
        }));
        double sum = 0;
        long count = 0;
        lock.lock();
        try {
            scores.computeIfAbsent(m.round(), k -> new TreeMap<>()).put(cluster.self(), mine);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.roundTimeoutSeconds());
            while (!scores.get(m.round()).keySet().containsAll(presentOf(m.sites()))) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    throw new FederationException("no validation scores of round " + m.round() + " from "
                            + presentOf(m.sites()) + " within " + config.roundTimeoutSeconds() + " s");
                }
                changed.await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
            }
            for (Score s : scores.remove(m.round()).values()) { // name order
                if (s.count() > 0 && Double.isFinite(s.dice())) {
                    sum += s.dice() * s.count();
                    count += s.count();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FederationException("interrupted while scoring round " + m.round(), e);
        } finally {
            lock.unlock();
        }
        if (count == 0) {
            return Double.NaN;
        }
        double mean = sum / count;
        if (mean > bestDice) {
            bestDice = mean;
            bestRound = m.round();
            if (bestKeeper != null) {
                try {
                    bestKeeper.keep(m.values(), m.round(), mean);
                } catch (IOException e) {
                    throw new FederationException("cannot keep the best merged decoder: " + e.getMessage(), e);
                }
            }
        }
        console.accept(String.format(Locale.ROOT, "round %d: validation Dice of the merged decoder %.4f over %d slices"
                + " of the sites%s", m.round(), mean, count, bestRound == m.round() ? " (best so far)" : ""));
        return mean;
    }

    /** Waits until {@code needed} compatible sites are present. */
    private void awaitPeers(int needed) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.roundTimeoutSeconds());
        int said = -1;
        lock.lock();
        try {
            while (true) {
                List<String> ok = presentOf(accepted);
                if (ok.size() >= needed) {
                    console.accept(ok.size() + " of " + needed + " sites present " + ok + "; training starts");
                    return;
                }
                if (ok.size() != said) {
                    said = ok.size();
                    console.accept("waiting for peers: " + said + " of " + needed + " present " + ok);
                }
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    throw new FederationException("only " + ok.size() + " of " + needed + " sites present "
                            + ok + " after " + config.roundTimeoutSeconds() + " s; start the other sites, or check"
                            + " peers/rendezvous, certificates and allowedSites" + refusedSummary());
                }
                changed.await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FederationException("interrupted while waiting for peers", e);
        } finally {
            lock.unlock();
        }
    }

    /** Changes the shared state under the lock and wakes whoever waits on it; returns what {@code change} returns. */
    private <T> T update(java.util.function.Supplier<T> change) {
        lock.lock();
        try {
            T result = change.get();
            changed.signalAll();
            return result;
        } finally {
            lock.unlock();
        }
    }

    /** Leaves {@code site} out of every round, keeping why in {@code reasons}; true the first time. */
    private boolean exclude(Map<String, String> reasons, String site, String why) {
        return update(() -> {
            accepted.remove(site);
            return reasons.put(site, why) == null;
        });
    }

    private String refusedSummary() {
        return (refusedPeers.isEmpty() ? "" : "; this site refused " + refusedPeers)
                + (refusedBy.isEmpty() ? "" : "; refused by " + refusedBy.keySet() + ": " + refusedBy.values());
    }

    /** The given sites that are present now, in name order. */
    private List<String> presentOf(java.util.Collection<String> sites) {
        List<String> out = new ArrayList<>();
        for (String s : new TreeSet<>(sites)) {
            if (present.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- messages

    @Override
    public void onMembers(List<String> members) {
        List<String> joined;
        Merged left;
        lock.lock();
        try {
            joined = new ArrayList<>(members);
            joined.removeAll(present);
            List<String> gone = new ArrayList<>(present);
            gone.removeAll(members);
            present = List.copyOf(members);
            // a site that (re)joins is judged afresh: refusals of an earlier run of it no longer hold
            refusedBy.keySet().removeAll(joined);
            refusedPeers.keySet().removeAll(joined);
            left = gone.isEmpty() ? null : latest;
            if (!gone.isEmpty() && anchor != null) {
                console.accept("site" + (gone.size() > 1 ? "s " : " ") + String.join(", ", gone)
                        + " left the federation; present: " + members);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        joined.remove(cluster.self());
        for (String s : joined) {
            onRepliesThread(() -> hello(s, false));
        }
        if (left != null) {
            // a site that left may have been sending a merge that reached only some sites: whoever holds
            // the latest sends it again, so no site waits for a merge the others have moved past
            Merged m = left;
            onRepliesThread(() -> {
                try {
                    send(null, merged(m));
                } catch (FederationException e) {
                    console.accept("could not send the merge of round " + m.round() + " again: " + e.getMessage());
                }
            });
        }
    }

    @Override
    public void onMessage(String from, byte[] sealed) {
        byte[] payload = open(from, sealed);
        if (payload == null) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload))) {
            byte type = in.readByte();
            switch (type) {
                case HELLO -> onHello(from, in);
                case REFUSE -> {
                    String why = in.readUTF();
                    if (exclude(refusedBy, from, why)) {
                        console.accept(why);
                    }
                }
                case CONTRIBUTION -> onContribution(from, in, payload.length);
                case MERGED -> onMerged(in, payload.length);
                case SCORE -> {
                    long r = in.readLong();
                    Score s = new Score(in.readDouble(), in.readInt());
                    update(() -> scores.computeIfAbsent(r, k -> new TreeMap<>()).put(from, s));
                }
                case DONE -> {
                    long r = in.readLong();
                    update(() -> done.computeIfAbsent(r, k -> new TreeSet<>()).add(from));
                }
                case LATEST -> {
                    Merged m;
                    lock.lock();
                    try {
                        m = latest;
                    } finally {
                        lock.unlock();
                    }
                    if (m != null) {
                        onRepliesThread(() -> send(from, merged(m)));
                    }
                }
                default -> console.accept("ignored a message of unknown type " + type + " from " + from);
            }
        } catch (IOException | RuntimeException e) {
            console.accept("ignored a malformed message from " + from + ": " + e.getMessage());
        }
    }

    private void onHello(String from, DataInputStream in) throws IOException {
        boolean reply = in.readBoolean();
        long theirLatest = in.readLong();
        int n = in.readInt();
        Map<String, String> theirs = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            theirs.put(in.readUTF(), in.readUTF());
        }
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, String> e : compatibility.entrySet()) {
            String t = theirs.get(e.getKey());
            if (!e.getValue().equals(t)) {
                mismatches.add(e.getKey() + " is " + abbreviate(t) + " at " + from + ", " + abbreviate(e.getValue())
                        + " at " + cluster.self());
            }
        }
        if (!mismatches.isEmpty()) {
            String why = "site " + cluster.self() + " refused site " + from + ": " + String.join("; ", mismatches)
                    + "; every site must train the same model from the same checkpoint with the same syncEvery and merge";
            if (exclude(refusedPeers, from, String.join("; ", mismatches))) {
                console.accept(why);
            }
            onRepliesThread(() -> send(from, message(REFUSE, out -> out.writeUTF(why))));
            return;
        }
        boolean welcome = update(() -> {
            if (refusedBy.containsKey(from)) {
                return false; // it refused this site: its hello (which may arrive after the refusal) does not undo that
            }
            accepted.add(from);
            peerLatest.put(from, theirLatest);
            return true;
        });
        if (welcome && !reply) {
            onRepliesThread(() -> hello(from, true));
        }
    }

    private void onContribution(String from, DataInputStream in, int size) throws IOException {
        long r = in.readLong();
        long samples = in.readLong();
        double weight = in.readDouble();
        boolean finished = in.readBoolean();
        float[] values = readFloats(in);
        Merged stale = null;
        lock.lock();
        try {
            received.merge(r, (long) size, Long::sum);
            if (latest != null && r <= latest.round()) {
                stale = latest; // it missed a merge: send it the latest
            } else {
                contributions.computeIfAbsent(r, k -> new TreeMap<>())
                        .put(from, new Contribution(from, r, samples, weight, finished, values));
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (stale != null) {
            Merged m = stale;
            onRepliesThread(() -> send(from, merged(m)));
        }
    }

    private void onMerged(DataInputStream in, int size) throws IOException {
        long r = in.readLong();
        boolean allFinished = in.readBoolean();
        int n = in.readInt();
        List<String> sites = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sites.add(in.readUTF());
        }
        float[] values = readFloats(in);
        lock.lock();
        try {
            received.merge(r, (long) size, Long::sum);
            if (latest == null || r > latest.round()) {
                latest = new Merged(r, allFinished, List.copyOf(sites), values);
                contributions.keySet().removeIf(k -> k <= r);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code task} on the replies thread; once this site is closing there is nothing more to answer. */
    private void onRepliesThread(Runnable task) {
        try {
            replies.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // shut down: the site has left, or is leaving, the federation
        }
    }

    private void hello(String to, boolean reply) {
        long l;
        lock.lock();
        try {
            l = latest == null ? -1 : latest.round();
        } finally {
            lock.unlock();
        }
        send(to, message(HELLO, out -> {
            out.writeBoolean(reply);
            out.writeLong(l);
            out.writeInt(compatibility.size());
            for (Map.Entry<String, String> e : compatibility.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        }));
    }

    private byte[] merged(Merged m) {
        return message(MERGED, out -> {
            out.writeLong(m.round());
            out.writeBoolean(m.allFinished());
            out.writeInt(m.sites().size());
            for (String s : m.sites()) {
                out.writeUTF(s);
            }
            writeFloats(out, m.values());
        });
    }

    /** A message as sent: [certificate][payload][signature over this site's name and the payload]. */
    private byte[] seal(byte[] payload) {
        byte[] signature;
        try {
            Signature s = Signature.getInstance(SIGNATURE);
            s.initSign(identity.key());
            s.update(cluster.self().getBytes(StandardCharsets.UTF_8));
            s.update((byte) 0);
            s.update(payload);
            signature = s.sign();
        } catch (GeneralSecurityException e) {
            throw new FederationException("cannot sign a message with this site's key: " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.allocate(12 + ownCertificate.length + payload.length + signature.length);
        b.putInt(ownCertificate.length).put(ownCertificate).putInt(payload.length).put(payload)
                .putInt(signature.length).put(signature);
        return b.array();
    }

    /**
     * The payload of a message from member {@code from}, or null (the refusal told once) when its
     * certificate is not the consortium's, not issued to that name, or its signature does not match.
     */
    private byte[] open(String from, byte[] sealed) {
        byte[] der;
        byte[] payload;
        byte[] signature;
        try {
            ByteBuffer b = ByteBuffer.wrap(sealed);
            der = chunk(b, MAX_CERTIFICATE);
            payload = chunk(b, Integer.MAX_VALUE);
            signature = chunk(b, MAX_SIGNATURE);
        } catch (RuntimeException e) {
            return refuseMessage(from, "a message from '" + from + "' is not a signed federation message");
        }
        X509Certificate cert = checked.get(ByteBuffer.wrap(der));
        if (cert == null) {
            try {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(der));
                cert.verify(identity.ca().getPublicKey());
                cert.checkValidity();
            } catch (GeneralSecurityException | ClassCastException e) {
                return refuseMessage(from, "member '" + from + "' signs with a certificate not from this consortium's CA"
                        + " (" + e.getMessage() + ")");
            }
            checked.put(ByteBuffer.wrap(der), cert);
        }
        String name = ClusterTls.commonName(cert);
        if (!name.equals(from)) {
            return refuseMessage(from, "member '" + from + "' holds a certificate issued to '" + name + "': a site may"
                    + " only join under the name in its certificate; its messages are ignored");
        }
        try {
            Signature s = Signature.getInstance(SIGNATURE);
            s.initVerify(cert.getPublicKey());
            s.update(from.getBytes(StandardCharsets.UTF_8));
            s.update((byte) 0);
            s.update(payload);
            if (!s.verify(signature)) {
                return refuseMessage(from, "a message from '" + from + "' does not carry its signature; ignored");
            }
        } catch (GeneralSecurityException e) {
            return refuseMessage(from, "a message from '" + from + "' has an unusable signature (" + e.getMessage() + ")");
        }
        return payload;
    }

    private static byte[] chunk(ByteBuffer b, int max) {
        int n = b.getInt();
        if (n < 0 || n > max || n > b.remaining()) {
            throw new IllegalArgumentException("bad length " + n);
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private byte[] refuseMessage(String from, String why) {
        if (exclude(refusedPeers, from, why)) {
            console.accept("refused " + why);
            String told = "site " + cluster.self() + " refused " + why;
            onRepliesThread(() -> send(from, message(REFUSE, out -> out.writeUTF(told))));
        }
        return null;
    }

    private void send(String to, byte[] bytes) {
        try {
            cluster.send(to, seal(bytes));
        } catch (ClusterException e) {
            if (to == null) {
                throw new FederationException(e.getMessage(), e);
            }
            console.accept("could not send to " + to + ": " + e.getMessage());
        }
    }

    @FunctionalInterface
    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] message(byte type, Writer body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(type);
            body.write(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeFloats(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        out.write(b.array());
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available() / 4) {
            throw new IOException("a vector of " + n + " values in a message of " + in.available() + " bytes");
        }
        byte[] raw = new byte[4 * n];
        in.readFully(raw);
        float[] v = new float[n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
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

    private static String abbreviate(String s) {
        return s == null ? "(not given)" : s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    // ---------------------------------------------------------------- record

    /** The rounds this site took part in, for {@code run.json}. */
    public JsonObject record() {
        JsonObject o = new JsonObject();
        o.addProperty("site", cluster.self());
        JsonArray allowed = new JsonArray();
        config.allowedSites().forEach(allowed::add);
        o.add("allowedSites", allowed);
        o.addProperty("merge", config.merge().label());
        o.addProperty("syncEvery", config.syncEvery());
        o.addProperty("minPeers", config.minPeers());
        o.addProperty("startPeers", config.startPeers());
        o.addProperty("weight", config.weight());
        if (config.proximalMu() > 0) {
            o.addProperty("proximalMu", config.proximalMu());
        }
        if (config.clipNorm() > 0) {
            o.addProperty("clipNorm", config.clipNorm());
            o.addProperty("noiseMultiplier", config.noiseMultiplier());
        }
        JsonArray rounds = new JsonArray();
        records.forEach(rounds::add);
        o.add("rounds", rounds);
        if (bestRound >= 0) {
            o.addProperty("bestRound", bestRound);
            o.addProperty("bestValDice", bestDice);
        }
        Map<String, String> refused = new LinkedHashMap<>(refusedPeers);
        if (!refused.isEmpty()) {
            JsonObject r = new JsonObject();
            refused.forEach(r::addProperty);
            o.add("refused", r);
        }
        return o;
    }

    /** The latest merged round this site knows, or -1. */
    public long latestRound() {
        lock.lock();
        try {
            return latest == null ? -1 : latest.round();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        replies.shutdown();
        try {
            replies.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cluster.close();
    }

    @Override
    public String toString() {
        return "FederatedSynchroniser[" + cluster.self() + ", every " + config.syncEvery() + " steps, "
                + config.merge().label() + ", " + records.size() + " rounds]";
    }

}
