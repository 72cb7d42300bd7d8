package io.samtune.distributed.federated;

import io.samtune.distributed.federated.aggregation.Aggregation;
import io.samtune.distributed.federated.aggregation.AggregationState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import io.samtune.cluster.Cluster;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The rounds among the sites, as the training thread sees them: waiting for the sites, taking over
 * the latest merge, one round's merge (at one site, {@link OneSiteMerge}, or in slices,
 * {@link ShardedMerge}), validation and the last round's farewell. It holds the federation's state
 * under one lock: what {@link RoundIntake} hears from the sites' messages on the {@link SiteLink},
 * and what the merges read and write.
 */
final class RoundCoordinator implements AutoCloseable {

    /** The rules every contribution and merge must meet. */
    record Rules(Aggregation aggregation, Map<String, Double> siteWeights, long maxSamplesPerRound, int minPeers,
                 int timeoutSeconds, boolean sharded, List<String> configuredSites) {
    }

    /** What a site that finds too few others should know: how many are configured, and that late sites find none. */
    String lateSiteAdvice() {
        List<String> all = rules.configuredSites();
        return (all.isEmpty() ? "" : "; the federation has " + all.size() + " sites (allowedSites: "
                + String.join(", ", all) + ")") + ". A site joins only while the others train: those that finished"
                + " before it arrived have nothing left to join, so start every site within roundTimeoutSeconds ("
                + rules.timeoutSeconds() + " s) of the first (startPeers = the number of sites makes them wait for one"
                + " another); else check peers/rendezvous, certificates and allowedSites";
    }

    final SiteLink link;
    final String self;
    final Rules rules;
    final Consumer<String> console;
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final SiteAdmission admission;
    final FederatedValidation validation;
    final Map<Long, TreeMap<String, Messages.Contribution>> contributions = new HashMap<>();
    final Map<Long, TreeSet<String>> done = new HashMap<>();
    private final Map<String, String> ignored = new TreeMap<>();
    /** Merges from a site whose turn it was not (yet, here): the view may not show yet that the sites before it left. */
    final Map<String, Messages.Merged> heldBack = new TreeMap<>();
    Messages.Merged latest;
    String askedFrom;
    /** The aggregation's state saved by an earlier run of this site, for the first merge when no site holds a later one. */
    private AggregationState resumed;
    /** This site's weights at its start: the global weights of a first merge. */
    private float[] start;
    final ShardedMerge sharded = new ShardedMerge(this);
    final OneSiteMerge oneSite = new OneSiteMerge(this);
    int length = -1;
    private long greeted = System.nanoTime();

    RoundCoordinator(Cluster cluster, MessageSeal seal, Rules rules, Map<String, String> compatibility,
                     ValidationParts validationParts, Consumer<String> console) {
        this.link = new SiteLink(cluster, seal, console);
        this.self = cluster.self();
        this.rules = rules;
        this.console = console;
        this.admission = new SiteAdmission(self, compatibility, seal.session(), validationParts.size(),
                this::latestRound, link::sendLater, console);
        this.validation = new FederatedValidation(self, validationParts.validator(), validationParts.size(),
                validationParts.keeper(), lock, changed, console);
    }

    /** What federated validation uses: the validator, its slices and who keeps the best. */
    record ValidationParts(io.samtune.train.DecoderTrainer.Validator validator, int size,
                           FederatedValidation.BestKeeper keeper) {
    }

    /** Starts listening (after construction, so that no message meets a half-built coordinator). */
    void listen() {
        RoundIntake intake = new RoundIntake(this);
        link.listen(intake);
        intake.onMembers(link.members());
    }

    FederatedValidation validation() {
        return validation;
    }

    // ---------------------------------------------------------------- what the training thread calls

    /** Waits until {@code needed} admitted sites are present; {@code weights} (this site's start) fix the decoder's size. */
    void awaitSites(int needed, float[] weights) {
        lock.lock();
        try {
            length = weights.length;
            start = weights.clone();
        } finally {
            lock.unlock();
        }
        link.say(-1, admission.hello(new byte[0]));
        // a site refused for what it sent has shown up: it counts towards the sites awaited (it takes no part),
        // so that the sites that refused it start with the others rather than wait for it in vain
        await(() -> admission.admitted().size() >= needed || (admission.admitted().size() >= rules.minPeers()
                && admission.admitted().size() + refusedPresent() >= needed), () -> "only " + admission.admitted().size() + " of "
                + needed + " sites present " + admission.admitted() + " after " + rules.timeoutSeconds() + " s"
                + lateSiteAdvice() + admission.refusedSummary(),
                () -> "waiting for peers: " + admission.admitted().size() + " of " + needed + " present "
                        + admission.admitted());
        console.accept(admission.admitted().size() + " of " + needed + " sites present " + admission.admitted()
                + "; training starts");
    }

    /** The present members refused for what they sent (not for their settings; under the lock). */
    private int refusedPresent() {
        return (int) admission.misbehaved().stream().filter(admission.present()::contains).count();
    }

    /**
     * The latest merged decoder of the admitted site holding the newest, or null when none holds one.
     * A holder that sends none within the round timeout is refused and the next one asked; one that
     * leaves, or is refused for what it sends, is passed over likewise.
     */
    Messages.Merged takeOverLatest() {
        while (true) {
            String from;
            long round;
            lock.lock();
            try {
                from = admission.holderOfLatest();
                round = from == null ? -1 : admission.latestOf(from);
                askedFrom = from;
            } finally {
                lock.unlock();
            }
            if (from == null) {
                return null;
            }
            link.send(-1, from, new Messages.Latest());
            lock.lock();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(rules.timeoutSeconds());
                while ((latest == null || latest.round() < round) && admission.admitted().contains(from)) {
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        refuse(from, "it said it holds the merged decoder of round " + round + " but sent none within "
                                + rules.timeoutSeconds() + " s");
                        break;
                    }
                    changed.await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
                }
                if (latest != null && latest.round() >= round) {
                    return latest;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FederationException("interrupted while taking over the merged decoder of round " + round, e);
            } finally {
                askedFrom = null;
                lock.unlock();
            }
        }
    }

    /** Merges {@code mine} with the other sites' contributions to its round, sharded or at one site. */
    Messages.Merged round(Messages.Contribution mine) {
        return rules.sharded() ? sharded.round(mine) : oneSite.round(mine);
    }

    /** Every second while waiting (under the lock): greets again the members not admitted yet. */
    void greetAgainNow() {
        if (System.nanoTime() - greeted > TimeUnit.SECONDS.toNanos(1)) {
            greeted = System.nanoTime();
            admission.greetAgain();
        }
    }

    /** The global weights a merge starts from (under the lock): the last merge's, else this site's start. */
    float[] globalNow() {
        return latest != null ? latest.values() : start;
    }

    /** The aggregation's state a merge starts from (under the lock). */
    AggregationState stateNow() {
        return latest != null ? latest.state() : resumed != null ? resumed : rules.aggregation().initialState(length);
    }

    /** Bytes this site sent for {@code round}. */
    long sent(long round) {
        return link.sent(round);
    }

    /** The contribution's bytes sent to each other site. */
    int others() {
        lock.lock();
        try {
            return (int) admission.present().stream().filter(s -> !s.equals(self)).count();
        } finally {
            lock.unlock();
        }
    }

    /** How many slices {@code round} was merged in (1 when at one site). */
    int slicesOf(long round) {
        lock.lock();
        try {
            return sharded.slicesOf(round);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes received for {@code round}. */
    long received(long round) {
        return link.received(round);
    }

    /**
     * Scores the merged decoder with the round's sites still admitted (one refused since sends no
     * score this site believes; see {@link FederatedValidation}).
     */
    double score(Messages.Merged m, float[] weights) {
        Messages.Score mine = validation.score(m.round());
        link.say(m.round(), mine);
        return validation.combine(mine, weights, () -> {
            lock.lock();
            try {
                return admission.admittedOf(m.sites());
            } finally {
                lock.unlock();
            }
        }, rules.timeoutSeconds());
    }

    /** Tells the sites this one holds the last round's decoder, and waits (a while) for those still admitted. */
    void finish(Messages.Merged m) {
        link.say(m.round(), new Messages.Done(m.round()));
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(30, rules.timeoutSeconds()));
            while (!admission.admittedOf(m.sites()).stream().allMatch(s -> s.equals(self)
                    || done.getOrDefault(m.round(), new TreeSet<>()).contains(s)) && System.nanoTime() < deadline) {
                changed.await(200, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Merges from {@code state} (saved by an earlier run) until a merge brings a later one. */
    void resumeFrom(AggregationState state) {
        lock.lock();
        try {
            resumed = state;
        } finally {
            lock.unlock();
        }
    }

    /** The latest merged round this site holds, or -1. */
    long latestRound() {
        lock.lock();
        try {
            return latest == null ? -1 : latest.round();
        } finally {
            lock.unlock();
        }
    }

    /** The sites refused, with why. */
    Map<String, String> refused() {
        lock.lock();
        try {
            return admission.refused();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- rounds

    /** Waits under the lock until {@code ready}, saying {@code progress} when it changes; gives up with {@code failure}. */
    void await(Supplier<Boolean> ready, Supplier<String> failure, Supplier<String> progress) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(rules.timeoutSeconds());
        String said = null;
        lock.lock();
        try {
            while (!ready.get()) {
                greetAgainNow();
                String now = progress.get();
                if (!now.equals(said)) {
                    said = now;
                    console.accept(now);
                }
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    throw new FederationException(failure.get());
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

    // ---------------------------------------------------------------- messages

    /** Leaves {@code site} out until it joins again, saying why once (under the lock). */
    void refuse(String site, String why) {
        if (admission.refuse(site, why)) {
            console.accept("refused site " + site + ": " + why + "; it takes no part until it joins again");
        }
        contributions.values().forEach(m -> m.remove(site));
        changed.signalAll();
    }

    void ignoreOnce(String from, String why) {
        lock.lock();
        try {
            if (!why.equals(ignored.put(from, why))) {
                console.accept(why);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        link.close();
    }
}
