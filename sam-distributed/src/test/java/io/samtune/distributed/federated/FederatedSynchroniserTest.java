package io.samtune.distributed.federated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterException;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.distributed.federated.aggregation.Aggregations;
import io.samtune.train.TrainableParameters;
import io.samtune.train.TrainingView;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sites on 127.0.0.1 under mutual TLS, each "training" by adding its own step to a small weight
 * vector: rounds merge exactly as {@link Merge} does serially, a site leaving does not stop the
 * others, and outsiders (another CA, a name not allowed, other settings) are refused by name.
 */
class FederatedSynchroniserTest {

    static final char[] PASSWORD = "correct horse".toCharArray();

    @TempDir
    Path tmp;
    private Path consortium;
    private NDManager manager;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void consortium() throws IOException {
        consortium = tmp.resolve("consortium");
        Certificates.createCa(consortium, "test-ca", PASSWORD);
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void stop() throws Exception {
        pool.shutdownNow();
        for (AutoCloseable c : open) {
            c.close();
        }
        manager.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private FederationConfig config(String site, int minPeers, int syncEvery) throws IOException {
        return new FederationConfig(site, "127.0.0.1", freePort(), List.of(), tmp.resolve("rendezvous"), minPeers,
                minPeers, syncEvery, Aggregations.parse("mean"), Map.of(), 20, tmp.resolve(site).resolve(site + ".p12"), tmp.resolve(site).resolve("ca.pem"),
                List.of("site-a", "site-b", "site-c", "site-x"), 0, 0, 0, 1.5, "fed-" + tmp.getFileName());
    }

    /** {@code c} with three sites present before its first step. */
    private static FederationConfig allThreeFirst(FederationConfig c) {
        return new FederationConfig(c.site(), c.bindHost(), c.bindPort(), c.peers(), c.rendezvous(), c.minPeers(), 3,
                c.syncEvery(), c.merge(), c.siteWeights(), c.roundTimeoutSeconds(), c.keystore(), c.ca(), c.allowedSites(),
                c.proximalMu(), c.clipNorm(), c.noiseMultiplier(), c.failureTimeoutSeconds(), c.group());
    }

    /** {@code c} waiting {@code seconds} for its peers and merges (sites meant to give up soon). */
    private static FederationConfig withRoundTimeout(FederationConfig c, int seconds) {
        return withRoundTimeout(c, seconds, c.keystore(), c.ca(), c.allowedSites());
    }

    /** As {@link #withRoundTimeout(FederationConfig, int)}, with another keystore, CA or allow-list. */
    private static FederationConfig withRoundTimeout(FederationConfig c, int seconds, Path keystore, Path ca,
                                                     List<String> allowedSites) {
        return new FederationConfig(c.site(), c.bindHost(), c.bindPort(), c.peers(), c.rendezvous(), c.minPeers(),
                c.startPeers(), c.syncEvery(), c.merge(), c.siteWeights(), seconds, keystore, ca, allowedSites, c.proximalMu(), c.clipNorm(),
                c.noiseMultiplier(), c.failureTimeoutSeconds(), c.group());
    }

    /** A site: its certificate from {@code caDir}, its cluster member and synchroniser. */
    private FederatedSynchroniser site(FederationConfig c, Path caDir, int syncEvery, List<String> console) throws Exception {
        if (!java.nio.file.Files.exists(c.keystore())) {
            Certificates.createSite(caDir, c.site(), c.keystore().getParent(), PASSWORD);
        }
        var tls = ClusterTls.member(c.keystore(), PASSWORD, c.ca(), Set.copyOf(c.allowedSites()), console::add);
        return site(c, tls, tls, syncEvery, console);
    }

    /** A site that joins the cluster as {@code c.site()} with the TLS context of {@code tls} and signs as {@code signer}. */
    private FederatedSynchroniser site(FederationConfig c, ClusterTls.Member tls, ClusterTls.Member signer, int syncEvery,
                                       List<String> console) throws Exception {
        return site(c, tls, signer, syncEvery, console, cluster -> cluster);
    }

    private FederatedSynchroniser site(FederationConfig c, ClusterTls.Member tls, ClusterTls.Member signer, int syncEvery,
                                       List<String> console, UnaryOperator<Cluster> wrap) throws Exception {
        Cluster cluster = wrap.apply(JGroupsCluster.join(ClusterConfig.builder().setGroup(c.group()).setMember(c.site())
                .optBindHost(c.bindHost()).optBindPort(c.bindPort()).optPortRange(0).setRendezvous(c.rendezvous())
                .optFailureTimeoutMillis(1500).optTls(tls.context()).build()));
        FederatedSynchroniser s = new FederatedSynchroniser(c, cluster, signer, Map.of("syncEvery",
                Integer.toString(syncEvery)), null, 0, null, 1, 1000, console::add);
        open.add(s);
        return s;
    }

    private TrainableParameters weights(float... values) {
        StateDict d = new StateDict(manager);
        d.put("w", manager.create(values, new Shape(values.length)));
        return new TrainableParameters("test", d, List.of("w"));
    }

    private static TrainingView samples(int n) {
        return view(n, 0);
    }

    /** A run that trained {@code n} samples in its latest step and started (or resumed) at {@code startStep}. */
    private static TrainingView view(int n, long startStep) {
        return (TrainingView) Proxy.newProxyInstance(TrainingView.class.getClassLoader(), new Class<?>[] {TrainingView.class},
                (p, m, a) -> switch (m.getName()) {
                    case "samples" -> n;
                    case "startStep" -> startStep;
                    default -> null;
                });
    }

    /** Trains {@code steps} steps of {@code delta} on {@code samples} samples each, with rounds; returns the final weights. */
    private Callable<float[]> training(FederatedSynchroniser s, TrainableParameters p, int steps, float delta, int samples,
                                       int dieAfterStep) {
        return training(s, p, steps, delta, samples, dieAfterStep, 0);
    }

    private Callable<float[]> training(FederatedSynchroniser s, TrainableParameters p, int steps, float delta, int samples,
                                       int dieAfterStep, long stepMillis) {
        return () -> {
            s.start(p, samples(samples));
            for (int step = 1; step <= steps; step++) {
                float[] w = p.flatten();
                for (int i = 0; i < w.length; i++) {
                    w[i] += delta * (i + 1);
                }
                p.overwrite(w);
                Thread.sleep(stepMillis);
                s.reduce(p, samples);
                if (step % s.every() == 0) {
                    s.synchronise(p, samples(samples));
                }
                if (step == dieAfterStep) {
                    s.close();
                    return null;
                }
            }
            s.finish(p, samples(samples));
            return p.flatten();
        };
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void threeSitesEndWithTheSerialMergeOfTheirUpdates() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        int[] samples = {10, 30, 20};
        float[] deltas = {0.1f, -0.2f, 0.4f};
        String[] names = {"site-a", "site-b", "site-c"};
        List<Future<float[]>> runs = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            FederatedSynchroniser s = site(config(names[k], 3, 2), consortium, 2, console);
            runs.add(pool.submit(training(s, weights(0f, 0f, 0f), 6, deltas[k], samples[k], -1)));
        }
        List<float[]> ends = new ArrayList<>();
        for (Future<float[]> f : runs) {
            ends.add(f.get(90, TimeUnit.SECONDS));
        }
        // serially: three rounds of two steps each, weighted by 2 x samples, then a final round without samples
        float[] w = {0f, 0f, 0f};
        for (int round = 0; round < 3; round++) {
            List<float[]> local = new ArrayList<>();
            double[] weights = new double[3];
            for (int k = 0; k < 3; k++) {
                float[] x = w.clone();
                for (int step = 0; step < 2; step++) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] += deltas[k] * (i + 1);
                    }
                }
                local.add(x);
                weights[k] = 2.0 * samples[k];
            }
            w = Merge.MEAN.merge(local, weights);
        }
        for (float[] e : ends) {
            assertThat(e).containsExactly(w);
        }
        assertThat(w[0]).isNotEqualTo(0f);
        assertThat(console).anyMatch(l -> l.contains("round 0: sending decoder weights") && l.contains("to 2 sites"));
        assertThat(console).anyMatch(l -> l.contains("round 3: merged 3 sites [site-a, site-b, site-c]"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSiteThatDiesLeavesTheOthersToFinishWithOneModel() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = site(config("site-a", 2, 2), consortium, 2, console);
        FederatedSynchroniser b = site(config("site-b", 2, 2), consortium, 2, console);
        FederatedSynchroniser c = site(config("site-c", 2, 2), consortium, 2, console);
        // all three must be present at the first round: c is only started once a and b see it
        Future<float[]> fc = pool.submit(training(c, weights(0f, 0f), 8, 0.3f, 5, 2));
        Future<float[]> fa = pool.submit(training(a, weights(0f, 0f), 8, 0.1f, 5, -1));
        Future<float[]> fb = pool.submit(training(b, weights(0f, 0f), 8, -0.1f, 5, -1));
        assertThat(fc.get(90, TimeUnit.SECONDS)).isNull();
        float[] ea = fa.get(90, TimeUnit.SECONDS);
        float[] eb = fb.get(90, TimeUnit.SECONDS);
        assertThat(ea).containsExactly(eb);
        assertThat(console).anyMatch(l -> l.contains("site-c") && l.contains("left the federation"));
        assertThat(a.record().getAsJsonArray("rounds").asList().stream()
                .map(r -> r.getAsJsonObject().getAsJsonArray("sites").size())).contains(2);
    }

    /** The payload of a sealed message ([certificate][payload][signature]), at its type byte. */
    private static java.nio.ByteBuffer payload(byte[] sealed) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sealed);
        b.position(4 + b.getInt() + 16); // certificate, session
        b.getInt(); // payload length
        return b;
    }

    /**
     * A site's cluster that hands it {@code from}'s hellos only after {@code from}'s refusal: an
     * order the network may bring, as the two are sent from different events.
     */
    private static final class HelloAfterRefusal extends Forwarding {
        private final String from;

        HelloAfterRefusal(Cluster inner, String from) {
            super(inner);
            this.from = from;
        }

        @Override
        public void setListener(Listener listener) {
            List<byte[]> held = new ArrayList<>();
            boolean[] refused = {false};
            super.setListener(new Listener() {
                @Override
                public synchronized void onMessage(String sender, byte[] sealed) {
                    byte type = payload(sealed).get();
                    if (sender.equals(from) && type == 1 && !refused[0]) { // HELLO
                        held.add(sealed);
                        return;
                    }
                    listener.onMessage(sender, sealed);
                    if (sender.equals(from) && type == 2) { // REFUSE
                        refused[0] = true;
                        held.forEach(h -> listener.onMessage(sender, h));
                    }
                }

                @Override
                public void onMembers(List<String> members) {
                    listener.onMembers(members);
                }
            });
        }
    }

    /**
     * A cluster that does what another does; subclasses change some of it: what a site sends and
     * hears on the federation's channel goes through {@link #send} and {@link #setListener}.
     */
    private static class Forwarding implements Cluster {
        final Cluster inner;

        Forwarding(Cluster inner) {
            this.inner = inner;
        }

        /** Sends on the wrapped cluster's federation channel. */
        final void forward(String to, byte[] payload) throws ClusterException {
            inner.channel(SiteLink.CHANNEL).send(to, payload);
        }

        @Override
        public void send(String to, byte[] payload) throws ClusterException {
            forward(to, payload);
        }

        @Override
        public String self() {
            return inner.self();
        }

        @Override
        public List<String> members() {
            return inner.members();
        }

        @Override
        public void awaitMembers(int count, java.time.Duration timeout) throws ClusterException {
            inner.awaitMembers(count, timeout);
        }

        @Override
        public io.samtune.cluster.collective.AllReduce allReduce() {
            return inner.allReduce();
        }

        @Override
        public void setListener(Listener listener) {
            inner.channel(SiteLink.CHANNEL).setListener(listener);
        }

        @Override
        public Channel channel(String name) {
            Channel wrapped = inner.channel(name);
            if (!name.equals(SiteLink.CHANNEL)) {
                return wrapped;
            }
            return new Channel() {
                @Override
                public String name() {
                    return wrapped.name();
                }

                @Override
                public void send(String to, byte[] payload) throws ClusterException {
                    Forwarding.this.send(to, payload);
                }

                @Override
                public void setListener(Listener listener) {
                    Forwarding.this.setListener(listener);
                }
            };
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * A site's cluster that dies at its merge of round {@code round}: before sending it
     * ({@code onlyTo} "nobody"), after sending it to {@code onlyTo} alone, or after sending it to
     * every site ("everyone"), once the receivers hold it.
     */
    private static final class DiesWhileSendingAMerge extends Forwarding {
        private final long round;
        private final String onlyTo;
        private final AtomicReference<FederatedSynchroniser> receiver;
        private volatile boolean dead;

        DiesWhileSendingAMerge(Cluster inner, long round, String onlyTo, AtomicReference<FederatedSynchroniser> receiver) {
            super(inner);
            this.round = round;
            this.onlyTo = onlyTo;
            this.receiver = receiver;
        }

        private boolean isTheMerge(byte[] sealed) {
            java.nio.ByteBuffer b = payload(sealed);
            return b.get() == 4 && b.getLong() == round; // MERGED, its round
        }

        @Override
        public void send(String to, byte[] payload) throws ClusterException {
            if (dead) {
                throw new ClusterException(inner.self() + " is dead");
            }
            if (to != null || !isTheMerge(payload)) {
                forward(to, payload);
                return;
            }
            if (!onlyTo.equals("nobody")) {
                forward(onlyTo.equals("everyone") ? null : onlyTo, payload);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (receiver.get().latestRound() < round && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
            dead = true;
            inner.close();
            throw new ClusterException(inner.self() + " died while sending the merge of round " + round);
        }
    }

    @ParameterizedTest(name = "{0} receives it")
    @ValueSource(strings = {"nobody", "site-b", "site-c", "everyone"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCoordinatorDyingWhileSendingAMergeLeavesTheOthersWithOneModel(String onlyTo) throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        // all three present before the first step (startPeers 3): the rounds this test follows are theirs from
        // round 0, however slowly the three find each other on a busy machine
        FederationConfig ca = allThreeFirst(config("site-a", 2, 2)).withShardedMerge(false); // one site merges all
        Certificates.createSite(consortium, ca.site(), ca.keystore().getParent(), PASSWORD);
        var tls = ClusterTls.member(ca.keystore(), PASSWORD, ca.ca(), Set.copyOf(ca.allowedSites()), console::add);
        AtomicReference<FederatedSynchroniser> receiver = new AtomicReference<>();
        // site-a, first in name order, merges every round; it dies sending the merge of round 1
        FederatedSynchroniser a = site(ca, tls, tls, 2, console, inner -> new DiesWhileSendingAMerge(inner, 1, onlyTo,
                receiver));
        FederatedSynchroniser b = site(allThreeFirst(config("site-b", 2, 2)).withShardedMerge(false), consortium, 2, console);
        FederatedSynchroniser c = site(allThreeFirst(config("site-c", 2, 2)).withShardedMerge(false), consortium, 2, console);
        receiver.set(onlyTo.equals("site-b") || onlyTo.equals("nobody") ? b : c);
        Future<float[]> fa = pool.submit(training(a, weights(0f, 0f), 8, 0.4f, 5, -1, 50));
        Future<float[]> fb = pool.submit(training(b, weights(0f, 0f), 8, -0.1f, 5, -1, 50));
        Future<float[]> fc = pool.submit(training(c, weights(0f, 0f), 8, 0.3f, 5, -1, 50));
        float[] eb;
        float[] ec;
        try {
            eb = fb.get(90, TimeUnit.SECONDS);
            ec = fc.get(90, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(String.join("\n", console), e);
        }
        assertThat(ec).as(String.join("\n", console)).containsExactly(eb);
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> fa.get(30, TimeUnit.SECONDS))).hasMessageContaining("died while sending the merge of round 1");
        assertThat(console).anyMatch(l -> l.contains("site-a left the federation"));
        // every round, the same merge at both: the one site-a began to send, and after it the two sites' own
        Map<Long, String> atB = mergesByRound(b);
        Map<Long, String> atC = mergesByRound(c);
        assertThat(atC).as(String.join("\n", console)).isEqualTo(atB).containsKey(1L);
        assertThat(b.record().getAsJsonArray("rounds").get(1).getAsJsonObject().getAsJsonArray("sites").size())
                .as("round 1 merged all three sites' contributions: %s", String.join("\n", console)).isEqualTo(3);
    }

    /** The SHA-256 of the merged decoder a site took over, by round. */
    private static Map<Long, String> mergesByRound(FederatedSynchroniser site) {
        Map<Long, String> out = new java.util.TreeMap<>();
        for (var r : site.record().getAsJsonArray("rounds")) {
            out.put(r.getAsJsonObject().get("round").getAsLong(), r.getAsJsonObject().get("sha256").getAsString());
        }
        return out;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void startPeersHoldBackAFreshStartButNotAResume() throws Exception {
        FederationConfig one = config("site-a", 1, 2);
        FederationConfig c = withRoundTimeout(new FederationConfig(one.site(), one.bindHost(), one.bindPort(), one.peers(),
                one.rendezvous(), 1, 2, one.syncEvery(), one.merge(), one.siteWeights(), one.roundTimeoutSeconds(), one.keystore(),
                one.ca(), one.allowedSites(), 0, 0, 0, one.failureTimeoutSeconds(), one.group()), 2);
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = site(c, consortium, 2, console);
        assertThatThrownBy(() -> a.start(weights(0f), view(5, 0))).isInstanceOf(FederationException.class)
                .hasMessageContaining("only 1 of 2 sites present [site-a]")
                .hasMessageContaining("the federation has " + c.allowedSites().size() + " sites (allowedSites: "
                        + String.join(", ", c.allowedSites()) + ")")
                .hasMessageContaining("those that finished before it arrived have nothing left to join");
        a.start(weights(0f), view(5, 6)); // resumed at step 6: a round needs minPeers 1
        assertThat(console).contains("1 of 1 sites present [site-a]; training starts");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSiteStartingLateTakesOverTheLatestMergedDecoderFirst() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = site(config("site-a", 2, 2), consortium, 2, console);
        FederatedSynchroniser b = site(config("site-b", 2, 2), consortium, 2, console);
        Future<float[]> fa = pool.submit(training(a, weights(0f, 0f), 12, 0.1f, 5, -1, 200));
        Future<float[]> fb = pool.submit(training(b, weights(0f, 0f), 12, 0.3f, 5, -1, 200));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (a.latestRound() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(a.latestRound()).as("a and b merged before c starts").isGreaterThanOrEqualTo(1);
        List<String> late = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser c = site(config("site-c", 2, 2), consortium, 2, late);
        TrainableParameters pc = weights(100f, 100f); // far from the others: taking over must replace these
        c.start(pc, samples(5));
        assertThat(pc.flatten()[0]).as("c holds a merged decoder, not its own start").isLessThan(10f);
        assertThat(late).anyMatch(l -> l.contains("took over the merged decoder of round"));
        Future<float[]> fc = pool.submit(() -> {
            for (int step = 1; step <= 4; step++) {
                float[] w = pc.flatten();
                for (int i = 0; i < w.length; i++) {
                    w[i] += -0.2f * (i + 1);
                }
                pc.overwrite(w);
                c.reduce(pc, 5);
                if (step % c.every() == 0) {
                    c.synchronise(pc, samples(5));
                }
            }
            c.finish(pc, samples(5));
            return pc.flatten();
        });
        float[] ea;
        try {
            ea = fa.get(90, TimeUnit.SECONDS);
            assertThat(fb.get(90, TimeUnit.SECONDS)).containsExactly(ea);
            assertThat(fc.get(90, TimeUnit.SECONDS)).containsExactly(ea);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("a and b:\n" + String.join("\n", console) + "\nc:\n" + String.join("\n", late), e);
        }
        assertThat(c.record().getAsJsonArray("rounds").asList()).anyMatch(r -> r.getAsJsonObject().getAsJsonArray("sites")
                .size() == 3);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void outsidersAreRefusedByNameWhileTheSitesCarryOn() throws Exception {
        List<String> good = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = site(config("site-a", 2, 2), consortium, 2, good);
        FederatedSynchroniser b = site(config("site-b", 2, 2), consortium, 2, good);

        Path otherCa = tmp.resolve("other-ca");
        Certificates.createCa(otherCa, "other-ca", PASSWORD);
        List<String> intruder = Collections.synchronizedList(new ArrayList<>());
        FederationConfig x = config("site-x", 2, 2);
        FederationConfig xShort = withRoundTimeout(x, 8);
        FederatedSynchroniser bad = site(xShort, otherCa, 2, intruder);

        List<String> mismatched = Collections.synchronizedList(new ArrayList<>());
        FederationConfig c = config("site-c", 2, 3);
        FederationConfig cShort = withRoundTimeout(c, 8);
        FederatedSynchroniser other = site(cShort, consortium, 3, mismatched);

        Future<float[]> fa = pool.submit(training(a, weights(1f), 4, 0.5f, 3, -1));
        Future<float[]> fb = pool.submit(training(b, weights(1f), 4, 0.25f, 3, -1));
        Future<float[]> fx = pool.submit(training(bad, weights(1f), 4, 9f, 3, -1));
        Future<float[]> fc = pool.submit(training(other, weights(1f), 4, 9f, 3, -1));
        assertThat(fa.get(90, TimeUnit.SECONDS)).containsExactly(fb.get(90, TimeUnit.SECONDS));

        Throwable tx = org.assertj.core.api.Assertions.catchThrowable(() -> fx.get(60, TimeUnit.SECONDS));
        assertThat(tx).hasRootCauseInstanceOf(FederationException.class).rootCause().hasMessageContaining("only 1 of 2 sites");
        assertThat(intruder).anyMatch(l -> l.contains("refused peer 'site-") && l.contains("not from this consortium's CA"));
        assertThat(good).anyMatch(l -> l.contains("refused peer 'site-x'") && l.contains("not from this consortium's CA"));

        Throwable tc = org.assertj.core.api.Assertions.catchThrowable(() -> fc.get(60, TimeUnit.SECONDS));
        assertThat(tc).rootCause().isInstanceOf(FederationException.class).hasMessageContaining("only 1 of 2 sites")
                .hasMessageContaining("syncEvery is 2 at site-a, 3 at site-c");
        assertThat(good).anyMatch(l -> l.contains("refused site site-c: syncEvery is 3 at site-c, 2 at site-"));
        // the good sites never merged with either
        assertThat(a.record().getAsJsonArray("rounds").asList()).allMatch(r -> r.getAsJsonObject().getAsJsonArray("sites")
                .toString().equals("[\"site-a\",\"site-b\"]"));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aNameOutsideTheAllowListIsRefused() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederationConfig a = config("site-a", 2, 2);
        FederationConfig narrow = withRoundTimeout(a, 6, a.keystore(), a.ca(), List.of("site-a", "site-b"));
        FederatedSynchroniser sa = site(narrow, consortium, 2, console);
        List<String> other = Collections.synchronizedList(new ArrayList<>());
        FederationConfig c = config("site-c", 2, 2);
        FederationConfig cShort = withRoundTimeout(c, 6);
        FederatedSynchroniser sc = site(cShort, consortium, 2, other);
        Future<float[]> fa = pool.submit(training(sa, weights(1f), 2, 1f, 1, -1));
        Future<float[]> fc = pool.submit(training(sc, weights(1f), 2, 1f, 1, -1));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> fa.get(50, TimeUnit.SECONDS))).rootCause()
                .hasMessageContaining("only 1 of 2 sites");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> fc.get(50, TimeUnit.SECONDS))).rootCause()
                .hasMessageContaining("only 1 of 2 sites");
        assertThat(console).anyMatch(l -> l.contains("refused peer 'site-c'") && l.contains("not in allowedSites [site-a, site-b]"));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSiteCannotSpeakUnderAnotherSitesName() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederationConfig b = config("site-b", 2, 2);
        FederationConfig bShort = withRoundTimeout(b, 6);
        FederatedSynchroniser sb = site(bShort, consortium, 2, console);

        // site-x holds a genuine certificate of the consortium but joins as "site-a"
        FederationConfig x = config("site-x", 2, 2);
        Certificates.createSite(consortium, "site-x", x.keystore().getParent(), PASSWORD);
        List<String> impostorConsole = Collections.synchronizedList(new ArrayList<>());
        ClusterTls.Member xs = ClusterTls.member(x.keystore(), PASSWORD, x.ca(), Set.copyOf(x.allowedSites()),
                impostorConsole::add);
        FederationConfig a = config("site-a", 2, 2);
        FederationConfig claimed = withRoundTimeout(a, 6, x.keystore(), x.ca(), a.allowedSites());
        // its own certificate's name is checked too: a synchroniser refuses to sign as another name
        JGroupsCluster probe = JGroupsCluster.join(ClusterConfig.builder().setGroup(a.group() + "-probe")
                .setMember("site-a").optBindHost(a.bindHost()).optBindPort(freePort()).optPortRange(0)
                .setRendezvous(tmp.resolve("probe")).optFailureTimeoutMillis(1500).optTls(xs.context()).build());
        open.add(probe);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new FederatedSynchroniser(claimed, probe, xs,
                Map.of(), null, 0, null, 1, 1000, line -> { }))).hasMessageContaining("issued to 'site-x'")
                .hasMessageContaining("joined as 'site-a'");
        // one that signs with site-x's key while calling itself site-a is not believed by the others
        ClusterTls.Member forged = new ClusterTls.Member(xs.context(), "site-a", xs.key(), xs.certificate(), xs.ca());
        // site-b's hello reaching it after site-b's refusal must not undo the refusal
        FederatedSynchroniser impostor = site(claimed, xs, forged, 2, impostorConsole,
                inner -> new HelloAfterRefusal(inner, "site-b"));

        Future<float[]> fb = pool.submit(training(sb, weights(1f), 2, 1f, 1, -1));
        Future<float[]> fx = pool.submit(training(impostor, weights(1f), 2, 9f, 1, -1));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> fb.get(50, TimeUnit.SECONDS))).rootCause()
                .hasMessageContaining("only 1 of 2 sites");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> fx.get(50, TimeUnit.SECONDS))).rootCause()
                .hasMessageContaining("only 1 of 2 sites");
        assertThat(console).anyMatch(l -> l.contains("refused member 'site-a' holds a certificate issued to 'site-x'"));
        assertThat(sb.record().getAsJsonArray("rounds").asList()).isEmpty();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aServerOptimisersStateIsTheSameAtEverySiteAndSurvivesARestartOfAll() throws Exception {
        io.samtune.distributed.federated.aggregation.Aggregation adam = Aggregations.parse("fedadam");
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        Map<String, Path> files = new java.util.TreeMap<>();
        List<Future<float[]>> runs = new ArrayList<>();
        List<FederatedSynchroniser> sites = new ArrayList<>();
        for (String name : List.of("site-a", "site-b")) {
            FederationConfig c = withMerge(config(name, 2, 2), adam);
            files.put(name, tmp.resolve(name + "-" + ServerStateFile.NAME));
            FederatedSynchroniser s = site(c, consortium, 2, console).setStateFile(files.get(name));
            sites.add(s);
            runs.add(pool.submit(training(s, weights(0f, 0f, 0f), 4, name.equals("site-a") ? 0.1f : -0.3f, 5, -1)));
        }
        float[] first = runs.get(0).get(90, TimeUnit.SECONDS);
        assertThat(runs.get(1).get(90, TimeUnit.SECONDS)).containsExactly(first);
        // rounds 0 and 1, then the final round: three steps of the server optimiser, the same bits at both sites
        assertThat(java.nio.file.Files.readAllBytes(files.get("site-a")))
                .isEqualTo(java.nio.file.Files.readAllBytes(files.get("site-b")));
        assertThat(ServerStateFile.read(files.get("site-a"), adam.toJson().toString(), 3).rounds()).isEqualTo(3);
        assertThat(sites.get(0).record().getAsJsonArray("rounds").get(0).getAsJsonObject().get("mergeRounds").getAsLong())
                .isEqualTo(1);
        for (FederatedSynchroniser s : sites) {
            s.close();
        }
        // every site restarts (resumes): the first merge goes on from the saved state
        List<Future<FederatedSynchroniser>> again = new ArrayList<>();
        for (String name : List.of("site-a", "site-b")) {
            FederationConfig c = withMerge(config(name, 2, 2), adam);
            FederatedSynchroniser s = site(c, consortium, 2, console).setStateFile(files.get(name));
            TrainableParameters p = weights(first);
            again.add(pool.submit(() -> {
                s.start(p, view(5, 4));
                s.reduce(p, 5);
                s.synchronise(p, samples(5));
                return s;
            }));
        }
        for (Future<FederatedSynchroniser> f : again) {
            FederatedSynchroniser s = f.get(90, TimeUnit.SECONDS);
            assertThat(s.record().getAsJsonArray("rounds").get(0).getAsJsonObject().get("mergeRounds").getAsLong())
                    .as(String.join("\n", console)).isEqualTo(4);
        }
        assertThat(console).anyMatch(l -> l.contains("merges resume from the fedadam state in "));
        // a state of another strategy is refused by name
        assertThatThrownBy(() -> ServerStateFile.read(files.get("site-a"), Aggregations.parse("fedyogi").toJson().toString(), 3))
                .hasMessageContaining(files.get("site-a").toString()).hasMessageContaining("this run merges");
    }

    private static FederationConfig withMerge(FederationConfig c, io.samtune.distributed.federated.aggregation.Aggregation merge) {
        return new FederationConfig(c.site(), c.bindHost(), c.bindPort(), c.peers(), c.rendezvous(), c.minPeers(),
                c.startPeers(), c.syncEvery(), merge, c.siteWeights(), c.roundTimeoutSeconds(), c.keystore(), c.ca(),
                c.allowedSites(), c.proximalMu(), c.clipNorm(), c.noiseMultiplier(), c.failureTimeoutSeconds(), c.group());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mean", "coordmedian", "trimmedmean", "fedadam", "geomedian"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMergeInSlicesEqualsTheMergeAtOneSiteBitForBit(String strategy) throws Exception {
        io.samtune.distributed.federated.aggregation.Aggregation merge = Aggregations.parse(strategy);
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        int[] samples = {10, 30, 20};
        float[] deltas = {0.1f, -0.2f, 0.4f};
        String[] names = {"site-a", "site-b", "site-c"};
        List<Future<float[]>> runs = new ArrayList<>();
        List<FederatedSynchroniser> sites = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            FederatedSynchroniser s = site(withMerge(config(names[k], 3, 2), merge).withShardedMerge(true), consortium, 2,
                    console);
            sites.add(s);
            runs.add(pool.submit(training(s, weights(0f, 0f, 0f, 0f, 0f, 0f, 0f), 6, deltas[k], samples[k], -1)));
        }
        List<float[]> ends = new ArrayList<>();
        try {
            for (Future<float[]> f : runs) {
                ends.add(f.get(90, TimeUnit.SECONDS));
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(String.join("\n", console), e);
        }
        // at one site: three rounds of two steps each, weighted by 2 x samples, then a final round without samples
        float[] w = new float[7];
        var state = merge.initialState(w.length);
        for (int round = 0; round < 4; round++) {
            List<io.samtune.distributed.federated.aggregation.Aggregation.SiteUpdate> updates = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                float[] x = w.clone();
                for (int step = 0; step < (round < 3 ? 2 : 0); step++) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] += deltas[k] * (i + 1);
                    }
                }
                updates.add(new io.samtune.distributed.federated.aggregation.Aggregation.SiteUpdate(names[k], x,
                        round < 3 ? 2.0 * samples[k] : 1.0));
            }
            var result = merge.aggregate(round, w, updates, state);
            w = result.global();
            state = result.state();
        }
        for (float[] e : ends) {
            if (strategy.equals("geomedian")) { // the distances are summed slice by slice: float rounding apart
                assertThat(e).as(String.join("\n", console)).containsExactly(ends.get(0));
                for (int i = 0; i < w.length; i++) {
                    assertThat((double) e[i]).as("value %d", i).isCloseTo(w[i], org.assertj.core.data.Offset.offset(1e-6));
                }
            } else {
                assertThat(e).as(String.join("\n", console)).containsExactly(w);
            }
        }
        for (FederatedSynchroniser s : sites) {
            s.record().getAsJsonArray("rounds").forEach(r -> assertThat(r.getAsJsonObject().get("slices").getAsInt())
                    .as("round %s merged in three slices (fedadam's first at one site)", r).isEqualTo(
                            strategy.equals("fedadam") && r.getAsJsonObject().get("round").getAsLong() == 0 ? 1 : 3));
        }
        assertThat(console).noneMatch(l -> l.contains("instead of in slices"));
        assertThat(console).anyMatch(l -> l.contains("round 3: merged 3 sites [site-a, site-b, site-c]"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMergeInSlicesSendsTwoThirdsOfADecoderPerSiteAmongThree() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        int values = 60_000;
        List<Future<float[]>> runs = new ArrayList<>();
        List<FederatedSynchroniser> sites = new ArrayList<>();
        for (String name : List.of("site-a", "site-b", "site-c")) {
            FederatedSynchroniser s = site(config(name, 3, 2).withShardedMerge(true), consortium, 2, console);
            sites.add(s);
            runs.add(pool.submit(training(s, weights(new float[values]), 2, name.equals("site-b") ? 0.1f : -0.1f, 5, -1)));
        }
        float[] first = runs.get(0).get(90, TimeUnit.SECONDS);
        assertThat(runs.get(1).get(90, TimeUnit.SECONDS)).containsExactly(first);
        assertThat(runs.get(2).get(90, TimeUnit.SECONDS)).containsExactly(first);
        double ideal = 2.0 * 2 / 3 * 4 * values;
        for (FederatedSynchroniser s : sites) {
            long sent = s.record().getAsJsonArray("rounds").get(0).getAsJsonObject().get("bytesSent").getAsLong();
            assertThat((double) sent).as("bytes sent by %s in round 0: %s", s, String.join("\n", console))
                    .isBetween(ideal, ideal * 1.1);
        }
    }

    /**
     * A site's cluster that dies as it is about to send a message of {@code type} of round
     * {@code round}'s merge in slices: its part (11), or its partial sums of the geometric median (14).
     */
    private static final class DiesBeforeItsPart extends Forwarding {
        private final long round;
        private final byte type;
        private volatile boolean dead;

        DiesBeforeItsPart(Cluster inner, long round, byte type) {
            super(inner);
            this.round = round;
            this.type = type;
        }

        @Override
        public void send(String to, byte[] sealed) throws ClusterException {
            if (dead) {
                throw new ClusterException(inner.self() + " is dead");
            }
            java.nio.ByteBuffer b = payload(sealed);
            if (b.get() == type && b.getLong() == round) { // its round
                dead = true;
                inner.close();
                throw new ClusterException(inner.self() + " died before sending its part of round " + round);
            }
            forward(to, sealed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mean", "geomedian"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anOwnerDyingBeforeItsPartLeavesTheOthersToMergeTheRoundAtOneSite(String strategy) throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        var merge = Aggregations.parse(strategy);
        FederationConfig cb = withMerge(config("site-b", 2, 2), merge).withShardedMerge(true);
        Certificates.createSite(consortium, cb.site(), cb.keystore().getParent(), PASSWORD);
        var tls = ClusterTls.member(cb.keystore(), PASSWORD, cb.ca(), Set.copyOf(cb.allowedSites()), console::add);
        FederatedSynchroniser a = site(withMerge(config("site-a", 2, 2), merge).withShardedMerge(true), consortium, 2, console);
        // the geometric median's owner dies as it sends its partial sums (mid-iteration), the others' as it sends its part
        FederatedSynchroniser b = site(cb, tls, tls, 2, console, inner -> new DiesBeforeItsPart(inner, 1,
                strategy.equals("geomedian") ? Messages.DISTANCES : Messages.PART));
        FederatedSynchroniser c = site(withMerge(config("site-c", 2, 2), merge).withShardedMerge(true), consortium, 2, console);
        Future<float[]> fa = pool.submit(training(a, weights(0f, 0f, 0f), 8, 0.1f, 5, -1, 20));
        Future<float[]> fb = pool.submit(training(b, weights(0f, 0f, 0f), 8, 0.3f, 5, -1, 20));
        Future<float[]> fc = pool.submit(training(c, weights(0f, 0f, 0f), 8, -0.2f, 5, -1, 20));
        try {
            assertThat(fc.get(90, TimeUnit.SECONDS)).containsExactly(fa.get(90, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(String.join("\n", console), e);
        }
        Throwable dead = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> fb.get(30, TimeUnit.SECONDS));
        // partial sums go to each owner alone: the dying site says it could not send them, and stops at its next send
        assertThat(String.join("\n", console) + dead.getMessage()).contains("died before sending its part of round 1");
        assertThat(console).anyMatch(l -> l.contains("round 1: merged at one site instead of in slices"));
        assertThat(mergesByRound(c)).isEqualTo(mergesByRound(a));
    }
}
