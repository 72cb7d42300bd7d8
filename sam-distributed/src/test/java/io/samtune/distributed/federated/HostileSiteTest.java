package io.samtune.distributed.federated;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterException;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.distributed.federated.aggregation.Aggregation;
import io.samtune.distributed.federated.aggregation.Aggregations;
import io.samtune.train.TrainableParameters;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A member holding a genuine certificate of the consortium but running altered code (a test double
 * that speaks the wire format) against two honest sites on 127.0.0.1: whatever it sends, the honest
 * sites finish with identical, finite decoders, name it, and stop normally.
 */
class HostileSiteTest {

    private static final char[] PASSWORD = "correct horse".toCharArray();
    private static final String SYNC = "2";

    @TempDir
    Path tmp;
    private Path consortium;
    private NDManager manager;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());
    private final Aggregation mean = Aggregations.parse("mean");

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

    /** {@code c} merged in slices with {@code merge}. */
    private static FederationConfig sliced(FederationConfig c, Aggregation merge) {
        return new FederationConfig(c.site(), c.bindHost(), c.bindPort(), c.peers(), c.rendezvous(), c.minPeers(),
                c.startPeers(), c.syncEvery(), merge, c.siteWeights(), c.roundTimeoutSeconds(), c.keystore(), c.ca(),
                c.allowedSites(), c.proximalMu(), c.clipNorm(), c.noiseMultiplier(), c.failureTimeoutSeconds(), c.group());
    }

    /** A site's settings; merged at one site, as the wire-format double ({@link Insider}) speaks that protocol. */
    private FederationConfig config(String site, int startPeers, String group) throws IOException {
        return new FederationConfig(site, "127.0.0.1", freePort(), List.of(), tmp.resolve("rendezvous-" + group), 2,
                startPeers, 2, mean, Map.of(), 20, tmp.resolve(site).resolve(site + ".p12"),
                tmp.resolve(site).resolve("ca.pem"), List.of("site-a", "site-b", "site-c", "site-x"), 0, 0, 0, 1.5,
                "fed-" + group).withShardedMerge(false);
    }

    private ClusterTls.Member certificate(FederationConfig c, String name, List<String> console) throws Exception {
        Path dir = tmp.resolve(name);
        if (!Files.exists(dir.resolve(name + ".p12"))) {
            Certificates.createSite(consortium, name, dir, PASSWORD);
        }
        return ClusterTls.member(dir.resolve(name + ".p12"), PASSWORD, dir.resolve("ca.pem"), Set.copyOf(c.allowedSites()),
                console::add);
    }

    private Cluster join(FederationConfig c, String member, ClusterTls.Member tls) throws ClusterException {
        Cluster cluster = JGroupsCluster.join(ClusterConfig.builder().setGroup(c.group()).setMember(member)
                .optBindHost(c.bindHost()).optBindPort(c.bindPort()).optPortRange(0).setRendezvous(c.rendezvous())
                .optFailureTimeoutMillis(1500).optTls(tls.context()).build());
        open.add(cluster);
        return cluster;
    }

    /** An honest site that scores every merged decoder as {@code dice} over 10 slices. */
    private FederatedSynchroniser honest(String name, int startPeers, String group, List<String> console, double dice)
            throws Exception {
        return honest(config(name, startPeers, group), console, dice);
    }

    private FederatedSynchroniser honest(FederationConfig c, List<String> console, double dice) throws Exception {
        String name = c.site();
        ClusterTls.Member tls = certificate(c, name, console);
        FederatedSynchroniser s = new FederatedSynchroniser(c, join(c, name, tls), tls, Map.of("syncEvery", SYNC),
                () -> dice, 10, null, 1, 1000, console::add);
        open.add(s);
        return s;
    }

    private TrainableParameters weights(float... values) {
        StateDict d = new StateDict(manager);
        d.put("w", manager.create(values, new Shape(values.length)));
        return new TrainableParameters("test", d, List.of("w"));
    }

    /** Four steps of {@code delta} on 5 samples each, a round every two, then the final rounds. */
    private Callable<float[]> training(FederatedSynchroniser s, float delta) {
        TrainableParameters p = weights(0f, 0f, 0f);
        return () -> {
            s.start(p, null);
            for (int step = 1; step <= 4; step++) {
                float[] w = p.flatten();
                for (int i = 0; i < w.length; i++) {
                    w[i] += delta * (i + 1);
                }
                p.overwrite(w);
                s.reduce(p, 5);
                if (step % s.every() == 0) {
                    s.synchronise(p, null);
                }
            }
            s.finish(p, null);
            return p.flatten();
        };
    }

    /**
     * The altered member: answers hellos as the protocol asks (so it is admitted), contributes to
     * each round once it sees an honest contribution to it, scores each merge, and records every
     * sealed message it receives; what it contributes and sends besides is the attack's.
     */
    static final class Insider implements Cluster.Listener {
        final Cluster cluster;
        final MessageSeal seal;
        final SiteAdmission admission;
        final BiFunction<Messages.Contribution, Insider, List<Messages.Message>> attack;
        final Map<String, List<byte[]>> recorded = new ConcurrentHashMap<>();
        private final Set<Long> contributed = ConcurrentHashMap.newKeySet();
        private final Map<Long, Set<String>> seen = new ConcurrentHashMap<>();

        Insider(Cluster cluster, ClusterTls.Member identity, String group, Map<String, String> compatibility,
                BiFunction<Messages.Contribution, Insider, List<Messages.Message>> attack) {
            this.cluster = cluster;
            this.seal = new MessageSeal(cluster.self(), group, identity);
            this.admission = new SiteAdmission(cluster.self(), compatibility, seal.session(), 10, () -> -1, this::send,
                    line -> { });
            this.attack = attack;
            cluster.channel(SiteLink.CHANNEL).setListener(this);
        }

        void send(String to, Messages.Message m) {
            try {
                cluster.channel(SiteLink.CHANNEL).send(to, seal.seal(m));
            } catch (ClusterException e) {
                // the honest sites may have finished
            }
        }

        @Override
        public synchronized void onMembers(List<String> members) {
            admission.onMembers(members);
        }

        @Override
        public synchronized void onMessage(String from, byte[] sealed) {
            recorded.computeIfAbsent(from, k -> Collections.synchronizedList(new ArrayList<>())).add(sealed);
            try {
                MessageSeal.Opened o = seal.open(from, sealed);
                Messages.Message m = o.decode();
                if (m instanceof Messages.Hello h) {
                    admission.onHello(o, h);
                } else if (m instanceof Messages.Contribution c
                        && seen.computeIfAbsent(c.round(), k -> new java.util.TreeSet<>()).add(from)
                        && seen.get(c.round()).size() == 2 && contributed.add(c.round())) {
                    // once both honest sites are in the round (both have started)
                    attack.apply(c, this).forEach(x -> send(null, x));
                } else if (m instanceof Messages.Merged g) {
                    send(null, new Messages.Score(g.round(), Double.NaN, 0));
                    if (g.allFinished()) {
                        send(null, new Messages.Done(g.round()));
                    }
                }
            } catch (MessageSeal.Refused | IOException e) {
                // not for this double: it only follows the honest sites
            }
        }
    }

    /** What the insider does, given an honest site's contribution to the round. */
    enum Attack {
        FORGED_FINAL_MODEL((c, x) -> List.of(honestCopy(c),
                new Messages.Merged(Long.MAX_VALUE, true, List.of("site-x"), filled(c.values().length, 0.25f),
                        io.samtune.distributed.federated.aggregation.AggregationState.EMPTY)),
                "held back a merged decoder for round 9223372036854775807 from site-x", false),
        NAN_VALUE((c, x) -> List.of(new Messages.Contribution(c.round(), 5, c.finished(), withNaN(c.values()))),
                "refused site site-x: its contribution to round 0 holds NaN at value 1", true),
        ONE_VALUE_TOO_MANY((c, x) -> List.of(new Messages.Contribution(c.round(), 5, c.finished(),
                java.util.Arrays.copyOf(c.values(), c.values().length + 1))),
                "refused site site-x: its contribution to round 0 has 4 values, the decoder 3", true),
        NEGATIVE_SAMPLES((c, x) -> List.of(new Messages.Contribution(c.round(), -5, c.finished(), c.values())),
                "refused site site-x: its contribution to round 0 claims -5 samples", true),
        ABSURD_SAMPLES((c, x) -> List.of(new Messages.Contribution(c.round(), 1_000_000_000L, c.finished(),
                filled(c.values().length, 3279f))), "claims 1000000000 samples (a round holds 0 to 1000)", true),
        VALIDATION_LIE((c, x) -> List.of(honestCopy(c), new Messages.Score(c.round(), 7.0, 1000)),
                "refused the validation score of site-x for round 0: a validation Dice of 7.0", false);

        final BiFunction<Messages.Contribution, Insider, List<Messages.Message>> behaviour;
        final String named;
        final boolean leftOut;

        Attack(BiFunction<Messages.Contribution, Insider, List<Messages.Message>> behaviour, String named, boolean leftOut) {
            this.behaviour = behaviour;
            this.named = named;
            this.leftOut = leftOut;
        }
    }

    private static Messages.Contribution honestCopy(Messages.Contribution c) {
        return new Messages.Contribution(c.round(), 5, c.finished(), c.values().clone());
    }

    private static double[] filled(int n, double v) {
        double[] out = new double[n];
        java.util.Arrays.fill(out, v);
        return out;
    }

    private static float[] filled(int n, float v) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, v);
        return out;
    }

    private static float[] withNaN(float[] v) {
        float[] out = v.clone();
        out[1] = Float.NaN;
        return out;
    }

    private Map<String, String> compatibility() {
        Map<String, String> c = new TreeMap<>();
        c.put("syncEvery", SYNC);
        c.put("merge", mean.toJson().toString());
        c.put("siteWeights", "{}");
        c.put("shardedMerge", "false");
        return c;
    }

    /**
     * Trains the two honest sites to their end and checks what every attack must leave: the same
     * finite decoder at both, not the forger's 0.25 nor an exploded value, and the offender named
     * ({@code named} on the console); returns the sites merged in each round at {@code a}.
     */
    private List<String> finishTogether(FederatedSynchroniser a, FederatedSynchroniser b, List<String> console,
                                        String named) throws Exception {
        Future<float[]> fa = pool.submit(training(a, 0.1f));
        Future<float[]> fb = pool.submit(training(b, -0.3f));
        float[] ea;
        float[] eb;
        try {
            ea = fa.get(90, TimeUnit.SECONDS);
            eb = fb.get(90, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(String.join("\n", console), e);
        }
        assertThat(ea).as(String.join("\n", console)).containsExactly(eb);
        for (float v : ea) {
            assertThat(Float.isFinite(v)).isTrue();
            assertThat(v).isNotEqualTo(0.25f).isLessThan(10f);
        }
        assertThat(console).as(String.join("\n", console)).anyMatch(l -> l.contains(named))
                .noneMatch(l -> l.startsWith("refused site site-a") || l.startsWith("refused site site-b"));
        List<String> sites = new ArrayList<>();
        a.record().getAsJsonArray("rounds").forEach(r -> sites.add(r.getAsJsonObject().get("sites").toString()));
        return sites;
    }

    @ParameterizedTest
    @EnumSource(Attack.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theHonestSitesFinishWithOneFiniteDecoderAndNameTheInsider(Attack attack) throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        String group = attack.name().toLowerCase(java.util.Locale.ROOT);
        FederatedSynchroniser a = honest("site-a", 3, group, console, 0.5);
        FederatedSynchroniser b = honest("site-b", 3, group, console, 0.5);
        FederationConfig xc = config("site-x", 3, group);
        ClusterTls.Member xs = certificate(xc, "site-x", console);
        new Insider(join(xc, "site-x", xs), xs, xc.group(), compatibility(), attack.behaviour);

        List<String> sites = finishTogether(a, b, console, attack.named);
        if (attack.leftOut) {
            assertThat(sites).as("site-x never merged").allMatch(s -> s.equals("[\"site-a\",\"site-b\"]"));
        }
        if (attack == Attack.VALIDATION_LIE) {
            assertThat(a.record().get("bestValDice").getAsDouble()).as("the liar's 7.0 counts as no score").isEqualTo(0.5);
        }
    }

    /**
     * The attacks on a merge in slices, by a member running this project's code with what it sends
     * altered: offers, slices, a merge it has no turn to send, scores.
     */
    enum ShardedAttack {
        NAN_SLICE((to, m) -> m instanceof Messages.Slice s
                ? List.of(new Messages.Slice(s.round(), s.index(), s.owners(), filled(s.values().length, Float.NaN)))
                : List.of(m),
                "refused site site-x: its slice of round 0 holds NaN", true),
        // to site-b alone: site-a learns of it from the slice site-b shows
        SLICE_ONE_VALUE_TOO_MANY((to, m) -> m instanceof Messages.Slice s && "site-b".equals(to)
                ? List.of(new Messages.Slice(s.round(), s.index(), s.owners(),
                        java.util.Arrays.copyOf(s.values(), s.values().length + 1)))
                : List.of(m), "of round 0 has 2 values, slice 1 of 3 has 1 (shown by site-b)", true),
        /**
         * To site-b alone, another owner's slice of the right length (each holds one value): only the
         * plan shows it wrong, which site-a holds too, so site-a believes the slice site-b shows.
         */
        SLICE_OF_ANOTHER_OWNER((to, m) -> m instanceof Messages.Slice s && "site-b".equals(to)
                ? List.of(new Messages.Slice(s.round(), (s.index() + 1) % s.owners(), s.owners(), s.values()))
                : List.of(m), "it sent slice 2 of 3 of round 0 to the owner of slice 1 of 3 (shown by site-b)", true),
        NEGATIVE_SAMPLES((to, m) -> m instanceof Messages.Offer o
                ? List.of(new Messages.Offer(o.round(), -5, o.finished())) : List.of(m),
                "refused site site-x: its offer to round 0 claims -5 samples", true),
        ABSURD_SAMPLES((to, m) -> m instanceof Messages.Offer o
                ? List.of(new Messages.Offer(o.round(), 1_000_000_000L, o.finished())) : List.of(m),
                "its offer to round 0 claims 1000000000 samples (a round holds 0 to 1000)", true),
        FORGED_FINAL_MODEL((to, m) -> m instanceof Messages.Offer o
                ? List.of(m, new Messages.Merged(Long.MAX_VALUE, true, List.of("site-x"), filled(3, 0.25f),
                        io.samtune.distributed.federated.aggregation.AggregationState.EMPTY)) : List.of(m),
                "held back a merged decoder for round 9223372036854775807 from site-x", false),
        VALIDATION_LIE((to, m) -> m instanceof Messages.Score s ? List.of(new Messages.Score(s.round(), 7.0, 1000))
                : List.of(m), "refused the validation score of site-x for round 0: a validation Dice of 7.0", false),
        /**
         * The geometric median in slices: partial sums no owner can have (a negative squared
         * distance), to site-b alone: site-a learns of them from the sums site-b shows.
         */
        NEGATIVE_DISTANCES((to, m) -> m instanceof Messages.Distances d && "site-b".equals(to)
                ? List.of(new Messages.Distances(d.round(), d.index(), d.step(), filled(d.partials().length, -1.0)))
                : List.of(m), "its partial sums of round 0 hold -1.0 (shown by site-b)", true),
        /**
         * A merged part that is not finite: whichever site refuses it first shows it to the other,
         * which then leaves site-x out of that round's merge at one site too.
         */
        NAN_PART((to, m) -> m instanceof Messages.Part p
                ? List.of(new Messages.Part(p.round(), p.index(), filled(p.values().length, Float.NaN), p.state(),
                        p.stateRounds()))
                : List.of(m), "refused site site-x: its part of round 0 holds NaN", true);

        final java.util.function.BiFunction<String, Messages.Message, List<Messages.Message>> alter;
        final String named;
        final boolean leftOut;

        ShardedAttack(java.util.function.BiFunction<String, Messages.Message, List<Messages.Message>> alter, String named,
                      boolean leftOut) {
            this.alter = alter;
            this.named = named;
            this.leftOut = leftOut;
        }
    }

    @ParameterizedTest
    @EnumSource(ShardedAttack.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void inAMergeInSlicesTheHonestSitesFinishWithOneFiniteDecoderAndNameTheInsider(ShardedAttack attack) throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        String group = "sliced-" + attack.name().toLowerCase(java.util.Locale.ROOT);
        Aggregation merge = Aggregations.parse(attack == ShardedAttack.NEGATIVE_DISTANCES ? "geomedian" : "mean");
        FederatedSynchroniser a = honest(sliced(config("site-a", 3, group), merge), console, 0.5);
        FederatedSynchroniser b = honest(sliced(config("site-b", 3, group), merge), console, 0.5);
        List<String> insiders = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser x = honest(sliced(config("site-x", 3, group), merge), insiders, 0.5);
        x.alterOutgoing(attack.alter);

        pool.submit(training(x, 0.2f)); // the insider's own end does not matter
        List<String> sites = finishTogether(a, b, console, attack.named);
        if (attack.leftOut) {
            assertThat(sites).as("site-x never merged").allMatch(s -> s.equals("[\"site-a\",\"site-b\"]"));
        } else {
            assertThat(sites).as("site-x took part in slices").allMatch(s -> s.contains("site-x"));
            a.record().getAsJsonArray("rounds").forEach(r -> assertThat(r.getAsJsonObject().get("slices").getAsInt())
                    .isEqualTo(3));
        }
        if (attack == ShardedAttack.VALIDATION_LIE) {
            assertThat(a.record().get("bestValDice").getAsDouble()).as("the liar's 7.0 counts as no score").isEqualTo(0.5);
        }
    }

    /**
     * A member merged into round 0 that, instead of scoring the merge, gets itself refused (an offer
     * to round 1 claiming -5 samples): the honest sites score round 0 without waiting for it (they
     * no longer believe what it sends), leave it out after, and finish.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMemberRefusedAfterTheMergeIsNotAwaitedForItsScore() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = honest(sliced(config("site-a", 3, "refused-late"), mean), console, 0.5);
        FederatedSynchroniser b = honest(sliced(config("site-b", 3, "refused-late"), mean), console, 0.5);
        FederatedSynchroniser x = honest(sliced(config("site-x", 3, "refused-late"), mean),
                Collections.synchronizedList(new ArrayList<>()), 0.5);
        x.alterOutgoing((to, m) -> m instanceof Messages.Score s
                ? List.of(new Messages.Offer(s.round() + 1, -5, false)) : List.of(m));
        pool.submit(training(x, 0.2f));
        // waiting for its score, an honest site would stop with "no validation scores of round 0"
        List<String> sites = finishTogether(a, b, console, "refused site site-x: its offer to round 1 claims -5 samples");
        assertThat(sites.get(0)).isEqualTo("[\"site-a\",\"site-b\",\"site-x\"]");
        assertThat(sites.subList(1, sites.size())).allMatch(s -> s.equals("[\"site-a\",\"site-b\"]"));
    }

    /** {@code c} with a round timeout of {@code seconds}, merged in slices (the default). */
    private static FederationConfig timeout(FederationConfig c, int seconds) {
        return new FederationConfig(c.site(), c.bindHost(), c.bindPort(), c.peers(), c.rendezvous(), c.minPeers(),
                c.startPeers(), c.syncEvery(), c.merge(), c.siteWeights(), seconds, c.keystore(), c.ca(),
                c.allowedSites(), c.proximalMu(), c.clipNorm(), c.noiseMultiplier(), c.failureTimeoutSeconds(), c.group());
    }

    /**
     * Two honest sites and site-x, running this code with what it sends altered by {@code alter}, all
     * merging in slices with a round timeout of {@code seconds}; returns the sites merged in each
     * round at site-a.
     */
    private List<String> againstAlteredMember(String group, int seconds,
                                              BiFunction<String, Messages.Message, List<Messages.Message>> alter,
                                              String named) throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        // site-x first, altered before the others join: its hellos to them are altered too
        FederatedSynchroniser x = honest(timeout(config("site-x", 3, group), seconds),
                Collections.synchronizedList(new ArrayList<>()), 0.5);
        x.alterOutgoing(alter);
        FederatedSynchroniser a = honest(timeout(config("site-a", 3, group), seconds), console, 0.5);
        FederatedSynchroniser b = honest(timeout(config("site-b", 3, group), seconds), console, 0.5);
        pool.submit(training(x, 0.2f));
        return finishTogether(a, b, console, named);
    }

    /**
     * A member saying it holds a merged decoder it never sends (its honest code holds none), or one
     * of a round beyond any: the honest sites, which ask the holder of the newest merge for it at
     * their start, refuse it (after the round timeout, or at once) instead of stopping, and go on.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {3, Long.MAX_VALUE})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMemberClaimingAMergeItDoesNotSendIsRefused(long claimed) throws Exception {
        List<String> sites = againstAlteredMember("claims-" + (claimed == 3 ? "three" : "max"), 6,
                (to, m) -> m instanceof Messages.Hello h
                        ? List.of(new Messages.Hello(h.echo(), claimed, h.validationSize(), h.compatibility())) : List.of(m),
                claimed == 3 ? "refused site site-x: it said it holds the merged decoder of round 3 but sent none within 6 s"
                        : "refused site site-x: it says it holds the merged decoder of round 9223372036854775807");
        assertThat(sites).as("site-x never merged").allMatch(s -> s.equals("[\"site-a\",\"site-b\"]"));
    }

    /**
     * A member refusing site-b alone, as if their settings differed, though they match (sites whose
     * settings differ refuse each other): site-b does not believe it, counts it as present for
     * {@code startPeers} (so it starts with the others) and the honest sites finish alike (each
     * round merged at one site once its slices time out, as site-a still merges site-x).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRefusalFromAMemberWhoseSettingsMatchIsNotBelieved() throws Exception {
        againstAlteredMember("lying-refusal", 6, (to, m) -> m instanceof Messages.Hello h && "site-b".equals(to)
                        && h.echo().length > 0
                        ? List.of(m, new Messages.Refuse("site site-x refused site site-b: syncEvery differs", h.echo()))
                        : List.of(m),
                "refused site site-x: it refused this site although their settings match");
    }

    /**
     * A member telling site-b it holds each merge in slices and site-a that it could not complete
     * it: site-b adopts the round while site-a gives it up; site-a takes the merge site-b sends it
     * (the one it assembled itself) instead of waiting for site-b's contribution, and the honest
     * sites end alike, neither refused.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSiteGivingUpARoundOthersAdoptedTakesTheirMerge() throws Exception {
        List<String> sites = againstAlteredMember("split-have", 6, (to, m) -> m instanceof Messages.Have h
                        && !"site-b".equals(to) ? List.of(new Messages.Need(h.round(), "a merge of its own", new byte[0]))
                        : List.of(m),
                "site-x could not complete it (a merge of its own)");
        assertThat(sites).as("site-x merged").allMatch(s -> s.contains("site-x"));
    }

    /**
     * A member telling site-b it has not finished while it tells site-a it has: the two would hold
     * one decoder but disagree on whether the federation ended; what each says it holds differs,
     * so the last round is merged at one site and both end together.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMemberTellingTheSitesApartOnItsEndDoesNotSplitThem() throws Exception {
        againstAlteredMember("split-end", 6, (to, m) -> m instanceof Messages.Offer o && "site-b".equals(to)
                        ? List.of(new Messages.Offer(o.round(), o.samples(), false)) : List.of(m),
                "the sites hold different merges");
    }

    /**
     * A member merged in every round that never sends its validation score: the honest sites score
     * each round without it once the round timeout has passed, say so, and finish.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMemberWithholdingItsScoresDoesNotStopTheSites() throws Exception {
        List<String> sites = againstAlteredMember("no-scores", 6,
                (to, m) -> m instanceof Messages.Score ? List.of() : List.of(m),
                "no validation score from [site-x] within 6 s; scored without");
        assertThat(sites).as("site-x merged").allMatch(s -> s.contains("site-x"));
    }

    /**
     * A member admitted with a genuine certificate that then says nothing (no offer, no
     * contribution): the sites merge in slices until that round's slices time out, then at one
     * site, where the merging site leaves it out after 4/5 of the round timeout; the federation goes
     * on without it and the honest sites finish.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSilentMemberIsLeftOutAndTheFederationGoesOn() throws Exception {
        // site-x answers hellos (so it is admitted) and says nothing else
        List<String> sites = againstAlteredMember("silent", 6, (to, m) -> m instanceof Messages.Hello
                        || m instanceof Messages.Refuse ? List.of(m) : List.of(),
                "refused site site-x: it sent no contribution to round 0 within 4 s");
        assertThat(sites).as("site-x never merged").allMatch(l -> l.equals("[\"site-a\",\"site-b\"]"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void messagesRecordedInAnotherRunAreNotBelieved() throws Exception {
        // run 1: site-a, site-b and a recording insider train together
        List<String> first = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = honest("site-a", 3, "replay", first, 0.5);
        FederatedSynchroniser b = honest("site-b", 3, "replay", first, 0.5);
        FederationConfig xc = config("site-x", 3, "replay");
        ClusterTls.Member xs = certificate(xc, "site-x", first);
        Cluster recording = join(xc, "site-x", xs);
        Insider recorder = new Insider(recording, xs, xc.group(), compatibility(), (c, x) -> List.of(honestCopy(c)));
        Future<float[]> fa = pool.submit(training(a, 0.1f));
        Future<float[]> fb1 = pool.submit(training(b, -0.3f));
        assertThat(fa.get(90, TimeUnit.SECONDS)).containsExactly(fb1.get(90, TimeUnit.SECONDS));
        List<byte[]> ofA = new ArrayList<>(recorder.recorded.get("site-a"));
        assertThat(ofA).hasSizeGreaterThan(3);
        a.close();
        b.close();
        recording.close();

        // run 2, same federation: site-a is offline; the insider joins under its name and replays all it said
        List<String> second = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser b2 = honest("site-b", 2, "replay", second, 0.5);
        FederatedSynchroniser c2 = honest("site-c", 2, "replay", second, 0.5);
        Cluster asA = join(config("site-a", 2, "replay"), "site-a", xs);
        asA.channel(SiteLink.CHANNEL).setListener(new Cluster.Listener() {
            @Override
            public void onMessage(String from, byte[] payload) {
            }

            @Override
            public void onMembers(List<String> members) {
            }
        });
        Future<float[]> fb = pool.submit(training(b2, 0.2f));
        Future<float[]> fc = pool.submit(training(c2, -0.2f));
        for (int k = 0; k < 3; k++) {
            for (byte[] m : ofA) {
                asA.channel(SiteLink.CHANNEL).send(null, m);
            }
            Thread.sleep(200);
        }
        try {
            assertThat(fb.get(90, TimeUnit.SECONDS)).containsExactly(fc.get(90, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            throw new AssertionError(String.join("\n", second), e);
        }
        b2.record().getAsJsonArray("rounds").forEach(r -> assertThat(r.getAsJsonObject().get("sites").toString())
                .as(String.join("\n", second)).isEqualTo("[\"site-b\",\"site-c\"]"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMemberClaimingAnotherSitesNameCannotStopIt() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = honest("site-a", 2, "claim", console, 0.5);
        FederatedSynchroniser c = honest("site-c", 2, "claim", console, 0.5);
        // site-b's genuine certificate, under the name site-a, speaking the protocol as site-b would
        FederationConfig bc = config("site-b", 2, "claim");
        ClusterTls.Member bs = certificate(bc, "site-b", console);
        // two members of one name: JGroups may leave the second alone in a group of its own; it joins again until in
        Cluster claimed = null;
        for (int attempt = 0; attempt < 4 && (claimed == null || !claimed.members().contains("site-c")); attempt++) {
            if (claimed != null) {
                claimed.close();
            }
            claimed = join(config("site-a", 2, "claim"), "site-a", bs);
            for (int wait = 0; wait < 20 && !claimed.members().contains("site-c"); wait++) {
                Thread.sleep(250);
            }
        }
        assertThat(claimed.members()).as("the member claiming site-a's name is in the group").contains("site-c");
        new Insider(claimed, bs, bc.group(), compatibility(), (x, i) -> List.of(honestCopy(x)));
        Future<float[]> fa = pool.submit(training(a, 0.1f));
        Future<float[]> fc = pool.submit(training(c, -0.3f));
        try {
            assertThat(fa.get(90, TimeUnit.SECONDS)).containsExactly(fc.get(90, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            throw new AssertionError(String.join("\n", console), e);
        }
        assertThat(console).anyMatch(l -> l.contains("refused member 'site-a' holds a certificate issued to 'site-b'"));
        a.record().getAsJsonArray("rounds").forEach(r -> assertThat(r.getAsJsonObject().get("sites").toString())
                .isEqualTo("[\"site-a\",\"site-c\"]"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aPoisonedSliceOfAMergeInSlicesIsRefusedAndTheRoundMergedAtOneSite() throws Exception {
        List<String> console = Collections.synchronizedList(new ArrayList<>());
        FederatedSynchroniser a = honest(config("site-a", 3, "slices").withShardedMerge(true), console, 0.5);
        FederatedSynchroniser b = honest(config("site-b", 3, "slices").withShardedMerge(true), console, 0.5);
        FederationConfig xc = config("site-x", 3, "slices");
        ClusterTls.Member xs = certificate(xc, "site-x", console);
        Cluster cluster = join(xc, "site-x", xs);
        Map<String, String> compatibility = compatibility();
        compatibility.put("shardedMerge", "true");
        MessageSeal seal = new MessageSeal("site-x", xc.group(), xs);
        Map<Long, Set<String>> offered = new ConcurrentHashMap<>();
        SiteAdmission[] admission = new SiteAdmission[1];
        Cluster.Listener poisoner = new Cluster.Listener() {
            void send(String to, Messages.Message m) {
                try {
                    cluster.channel(SiteLink.CHANNEL).send(to, seal.seal(m));
                } catch (ClusterException e) {
                    // the honest sites may have finished
                }
            }

            @Override
            public synchronized void onMembers(List<String> members) {
                admission[0].onMembers(members);
            }

            @Override
            public synchronized void onMessage(String from, byte[] sealed) {
                try {
                    MessageSeal.Opened o = seal.open(from, sealed);
                    Messages.Message m = o.decode();
                    if (m instanceof Messages.Hello h) {
                        admission[0].onHello(o, h);
                    } else if (m instanceof Messages.Offer offer
                            && offered.computeIfAbsent(offer.round(), k -> new java.util.TreeSet<>()).add(from)
                            && offered.get(offer.round()).size() == 2) {
                        send(null, new Messages.Offer(offer.round(), 5, offer.finished()));
                    } else if (m instanceof Messages.Plan plan && plan.sites().contains("site-x")) {
                        var layout = io.samtune.cluster.collective.ChunkLayout.of(3, plan.owners().size());
                        for (int j = 0; j < plan.owners().size(); j++) {
                            if (!plan.owners().get(j).equals("site-x")) {
                                send(plan.owners().get(j), new Messages.Slice(plan.round(), j, plan.owners().size(),
                                        filled(layout.chunkEnd(j) - layout.chunkStart(j), Float.NaN)));
                            }
                        }
                    }
                } catch (MessageSeal.Refused | IOException e) {
                    // not for this double
                }
            }
        };
        admission[0] = new SiteAdmission("site-x", compatibility, seal.session(), 10, () -> -1,
                (to, m) -> pool.submit(() -> {
                    try {
                        cluster.channel(SiteLink.CHANNEL).send(to, seal.seal(m));
                    } catch (ClusterException e) {
                        // gone
                    }
                }), line -> { });
        cluster.channel(SiteLink.CHANNEL).setListener(poisoner);
        Future<float[]> fa = pool.submit(training(a, 0.1f));
        Future<float[]> fb = pool.submit(training(b, -0.3f));
        float[] ea;
        try {
            ea = fa.get(90, TimeUnit.SECONDS);
            assertThat(fb.get(90, TimeUnit.SECONDS)).containsExactly(ea);
        } catch (ExecutionException e) {
            throw new AssertionError(String.join("\n", console), e);
        }
        for (float v : ea) {
            assertThat(Float.isFinite(v)).isTrue();
        }
        assertThat(console).anyMatch(l -> l.contains("refused site site-x: its slice of round 0 holds NaN"));
        // both honest sites leave it out: the one that owned the slice, and the other on its evidence
        assertThat(a.record().getAsJsonObject("refused").has("site-x")).as(String.join("\n", console)).isTrue();
        assertThat(b.record().getAsJsonObject("refused").has("site-x")).isTrue();
        assertThat(console).anyMatch(l -> l.contains("round 0: merged at one site instead of in slices"));
        a.record().getAsJsonArray("rounds").forEach(r -> assertThat(r.getAsJsonObject().get("sites").toString())
                .isEqualTo("[\"site-a\",\"site-b\"]"));
    }
}
