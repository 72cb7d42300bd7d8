package io.samtune.distributed.federated;

import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterException;
import io.samtune.distributed.federated.aggregation.Aggregation;
import io.samtune.distributed.federated.aggregation.AggregationState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The rounds among the sites: each admitted site sends its contribution to all; the admitted site
 * present first in name order merges the round's contributions in name order with the
 * {@link Aggregation} and its state, and sends the result, with the state, to all. A site believes
 * a merge only from the site whose turn it is (or from the site it asked for the latest), only for
 * a round after the last it holds, and only when it is finite and of the decoder's size. A
 * contribution of the wrong size, with values that are not finite, or claiming more samples than a
 * round can hold, is refused and its sender left out until it joins again. With {@code shardedMerge}
 * the rounds go through {@link ShardedMerge}, on this coordinator's state and lock.
 */
final class RoundCoordinator implements Cluster.Listener, AutoCloseable {

    /** The rules every contribution and merge must meet. */
    record Rules(Aggregation aggregation, Map<String, Double> siteWeights, long maxSamplesPerRound, int minPeers,
                 int timeoutSeconds, boolean sharded, List<String> configuredSites) {
    }

    /** What a site that finds too few others should know: how many are configured, and that late sites find none. */
    private String lateSiteAdvice() {
        List<String> all = rules.configuredSites();
        return (all.isEmpty() ? "" : "; the federation has " + all.size() + " sites (allowedSites: "
                + String.join(", ", all) + ")") + ". A site joins only while the others train: those that finished"
                + " before it arrived have nothing left to join, so start every site within roundTimeoutSeconds ("
                + rules.timeoutSeconds() + " s) of the first (startPeers = the number of sites makes them wait for one"
                + " another); else check peers/rendezvous, certificates and allowedSites";
    }

    private final Cluster cluster;
    final String self;
    final Rules rules;
    final MessageSeal seal;
    final Consumer<String> console;
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final SiteAdmission admission;
    private final FederatedValidation validation;
    private final ExecutorService replies = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "federation-replies");
        t.setDaemon(true);
        return t;
    });
    final Map<Long, TreeMap<String, Messages.Contribution>> contributions = new HashMap<>();
    private final Map<Long, TreeSet<String>> done = new HashMap<>();
    private final Map<Long, Long> received = new HashMap<>();
    private final Map<String, String> ignored = new TreeMap<>();
    /** Merges from a site whose turn it was not (yet, here): the view may not show yet that the sites before it left. */
    private final Map<String, Messages.Merged> heldBack = new TreeMap<>();
    Messages.Merged latest;
    private String askedFrom;
    /** The aggregation's state saved by an earlier run of this site, for the first merge when no site holds a later one. */
    private AggregationState resumed;
    /** This site's weights at its start: the global weights of a first merge. */
    private float[] start;
    private final ShardedMerge sharded = new ShardedMerge(this);
    private final Map<Long, Long> sent = new HashMap<>();
    int length = -1;
    private long greeted = System.nanoTime();

    RoundCoordinator(Cluster cluster, MessageSeal seal, Rules rules, Map<String, String> compatibility,
                     ValidationParts validationParts, Consumer<String> console) {
        this.cluster = cluster;
        this.self = cluster.self();
        this.seal = seal;
        this.rules = rules;
        this.console = console;
        this.admission = new SiteAdmission(self, compatibility, seal.session(), validationParts.size(),
                this::latestRound, this::sendLater, console);
        this.validation = new FederatedValidation(self, validationParts.validator(), validationParts.size(),
                validationParts.keeper(), lock, changed, console);
    }

    /** What federated validation uses: the validator, its slices and who keeps the best. */
    record ValidationParts(io.samtune.train.DecoderTrainer.Validator validator, int size,
                           FederatedValidation.BestKeeper keeper) {
    }

    /** Starts listening (after construction, so that no message meets a half-built coordinator). */
    void listen() {
        cluster.setListener(this);
        onMembers(cluster.members());
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
        say(-1, admission.hello(new byte[0]));
        await(() -> admission.admitted().size() >= needed, () -> "only " + admission.admitted().size() + " of "
                + needed + " sites present " + admission.admitted() + " after " + rules.timeoutSeconds() + " s"
                + lateSiteAdvice() + admission.refusedSummary(),
                () -> "waiting for peers: " + admission.admitted().size() + " of " + needed + " present "
                        + admission.admitted());
        console.accept(admission.admitted().size() + " of " + needed + " sites present " + admission.admitted()
                + "; training starts");
    }

    /** The latest merged decoder of the admitted site holding the newest, or null when none holds one. */
    Messages.Merged takeOverLatest() {
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
        send(-1, from, new Messages.Latest());
        try {
            return awaitMerged(round, "the merged decoder of round " + round + " from " + from);
        } finally {
            lock.lock();
            try {
                askedFrom = null;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Merges {@code mine} with the other sites' contributions to its round, sharded or at one site. */
    Messages.Merged round(Messages.Contribution mine) {
        return rules.sharded() ? sharded.round(mine) : roundAtOneSite(mine);
    }

    /** Sends {@code mine} to every site and waits for the round's merge (merging it here in turn). */
    Messages.Merged roundAtOneSite(Messages.Contribution mine) {
        byte[] bytes = Messages.encode(mine);
        lock.lock();
        try {
            contributions.computeIfAbsent(mine.round(), k -> new TreeMap<>()).put(self, mine);
        } finally {
            lock.unlock();
        }
        sendToAll(mine.round(), bytes);
        return awaitMerged(mine.round(), "round " + mine.round());
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
        lock.lock();
        try {
            return sent.getOrDefault(round, 0L);
        } finally {
            lock.unlock();
        }
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

    /** Bytes received for {@code round}. */
    long received(long round) {
        lock.lock();
        try {
            return received.getOrDefault(round, 0L);
        } finally {
            lock.unlock();
        }
    }

    /** Scores the merged decoder with the round's sites (see {@link FederatedValidation}). */
    double score(Messages.Merged m, float[] weights) {
        Messages.Score mine = validation.score(m.round());
        say(m.round(), mine);
        return validation.combine(mine, weights, () -> {
            lock.lock();
            try {
                return admission.presentOf(m.sites());
            } finally {
                lock.unlock();
            }
        }, rules.timeoutSeconds());
    }

    /** Tells the sites this one holds the last round's decoder, and waits (a while) for theirs. */
    void finish(Messages.Merged m) {
        say(m.round(), new Messages.Done(m.round()));
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(30, rules.timeoutSeconds()));
            while (!admission.presentOf(m.sites()).stream().allMatch(s -> s.equals(self)
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

    /** Waits for the merge of round {@code r} (or a later one), merging it here when it is this site's turn. */
    private Messages.Merged awaitMerged(long r, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(rules.timeoutSeconds());
        int said = -1;
        Messages.Merged mergedHere;
        lock.lock();
        try {
            while (true) {
                if (latest != null && latest.round() >= r) {
                    return latest;
                }
                greetAgainNow();
                List<String> expected = admission.admitted();
                if (expected.size() >= rules.minPeers()) {
                    TreeMap<String, Messages.Contribution> got = contributions.getOrDefault(r, new TreeMap<>());
                    if (expected.get(0).equals(self) && got.keySet().containsAll(expected)) {
                        // with the contributions of admitted sites that sent theirs and left since: a site that
                        // dies while sending its merge leaves the next to merge the same sites, to the same bits
                        TreeSet<String> sites = new TreeSet<>(expected);
                        for (String site : got.keySet()) {
                            if (admission.isAdmitted(site)) {
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
                    console.accept("waiting for peers: " + said + " of " + rules.minPeers() + " present " + expected
                            + " (" + what + ")");
                }
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    throw new FederationException(expected.size() < rules.minPeers()
                            ? "only " + expected.size() + " of " + rules.minPeers() + " sites present " + expected
                                    + " after " + rules.timeoutSeconds() + " s (" + what + ")" + lateSiteAdvice()
                                    + admission.refusedSummary()
                            : "no merge of " + what + " within " + rules.timeoutSeconds() + " s (sites present: "
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
        sendToAll(r, Messages.encode(mergedHere));
        return mergedHere;
    }

    /** The round's merge of {@code sites}' contributions (under the lock); never one that is not finite. */
    private Messages.Merged merge(long r, List<String> sites, Map<String, Messages.Contribution> got) {
        List<Aggregation.SiteUpdate> updates = new ArrayList<>();
        boolean allFinished = true;
        boolean anySamples = false;
        for (String site : sites) {
            anySamples |= got.get(site).samples() > 0;
        }
        for (String site : sites) {
            Messages.Contribution c = got.get(site);
            double weight = rules.siteWeights().getOrDefault(site, 1.0);
            // no samples since the last round anywhere: the sites' weights alone
            updates.add(new Aggregation.SiteUpdate(site, c.values(), anySamples ? c.samples() * weight : weight));
            allFinished &= c.finished();
        }
        float[] global = globalNow();
        AggregationState state = stateNow();
        Aggregation.Result result = rules.aggregation().aggregate(r, global, updates, state);
        String bad = Contributions.nonFinite(result.global(), result.state());
        if (bad != null) {
            throw new FederationException("the merge of round " + r + " of " + sites + " (" + rules.aggregation().name()
                    + ") is not finite: " + bad + "; no site adopts it. Lower the learning rate (or merge's serverLr)");
        }
        return new Messages.Merged(r, allFinished, sites, result.global(), result.state());
    }

    /** Waits under the lock until {@code ready}, saying {@code progress} when it changes; gives up with {@code failure}. */
    private void await(Supplier<Boolean> ready, Supplier<String> failure, Supplier<String> progress) {
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

    @Override
    public void onMembers(List<String> members) {
        boolean resend;
        lock.lock();
        try {
            List<String> gone = admission.onMembers(members);
            if (!gone.isEmpty() && length >= 0) {
                console.accept("site" + (gone.size() > 1 ? "s " : " ") + String.join(", ", gone)
                        + " left the federation; present: " + members);
            }
            // the merging site may have left while sending a merge that reached only some sites: the site
            // whose turn it is now sends the latest again, so no site waits for a merge the others have
            resend = !gone.isEmpty() && latest != null && admission.admitted().get(0).equals(self);
            String turn = admission.admitted().get(0);
            Messages.Merged held = heldBack.remove(turn);
            heldBack.clear();
            if (held != null && held.round() == latestRoundHeld() + 1) {
                onMerged(turn, held);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (resend) {
            onRepliesThread(() -> {
                Messages.Merged m;
                lock.lock();
                try {
                    m = latest;
                } finally {
                    lock.unlock();
                }
                try {
                    sendToAll(m.round(), Messages.encode(m));
                } catch (FederationException e) {
                    console.accept("could not send the merge of round " + m.round() + " again: " + e.getMessage());
                }
            });
        }
    }

    @Override
    public void onMessage(String from, byte[] sealed) {
        MessageSeal.Opened opened;
        try {
            opened = seal.open(from, sealed);
        } catch (MessageSeal.Refused e) {
            ignoreOnce(from, "refused " + e.getMessage());
            return;
        }
        Messages.Message m;
        try {
            m = Messages.decode(opened.payload());
        } catch (IOException e) {
            ignoreOnce(from, "ignored a malformed message from " + from + ": " + e.getMessage());
            return;
        }
        handle(opened, m);
    }

    /** A message whose seal holds (its session not yet checked). */
    private void handle(MessageSeal.Opened opened, Messages.Message m) {
        List<MessageSeal.Opened> released = List.of();
        lock.lock();
        try {
            if (m instanceof Messages.Hello h) {
                released = admission.onHello(opened, h);
                changed.signalAll();
            } else if (m instanceof Messages.Refuse r) {
                admission.onRefuse(opened, r);
                changed.signalAll();
            } else if (admission.believes(opened)) {
                received.merge(roundOf(m), (long) opened.size(), Long::sum);
                onBelieved(opened.from(), m, opened.sealed());
            }
        } finally {
            lock.unlock();
        }
        for (MessageSeal.Opened o : released) {
            try {
                handle(o, Messages.decode(o.payload()));
            } catch (IOException e) {
                throw new IllegalStateException("a message decoded before no longer decodes", e);
            }
        }
    }

    /** The round a message belongs to, or -1. */
    private static long roundOf(Messages.Message m) {
        if (m instanceof Messages.Contribution c) {
            return c.round();
        } else if (m instanceof Messages.Merged g) {
            return g.round();
        } else if (m instanceof Messages.Offer o) {
            return o.round();
        } else if (m instanceof Messages.Plan p) {
            return p.round();
        } else if (m instanceof Messages.Slice c) {
            return c.round();
        } else if (m instanceof Messages.Part p) {
            return p.round();
        } else if (m instanceof Messages.Have h) {
            return h.round();
        } else if (m instanceof Messages.Need n) {
            return n.round();
        }
        return -1;
    }

    /** A message from a proven session (under the lock). */
    private void onBelieved(String from, Messages.Message m, byte[] sealed) {
        if (m instanceof Messages.Contribution c) {
            onContribution(from, c);
        } else if (m instanceof Messages.Merged g) {
            onMerged(from, g);
        } else if (m instanceof Messages.Score s) {
            String why = validation.onScore(from, s, admission.validationSizeOf(from));
            if (why != null) {
                console.accept("refused the validation score of " + from + " for round " + s.round() + ": " + why
                        + "; it counts as no score");
            }
        } else if (m instanceof Messages.Done d) {
            done.computeIfAbsent(d.round(), k -> new TreeSet<>()).add(from);
            changed.signalAll();
        } else if (m instanceof Messages.Latest && latest != null) {
            Messages.Merged held = latest;
            onRepliesThread(() -> send(held.round(), from, held));
        } else {
            sharded.onMessage(from, m, sealed);
        }
    }

    private void onContribution(String from, Messages.Contribution c) {
        long last = latest == null ? -1 : latest.round();
        if (c.round() <= last) {
            if (admission.admitted().get(0).equals(self)) { // it missed a merge: the merging site sends it the latest
                Messages.Merged held = latest;
                onRepliesThread(() -> send(held.round(), from, held));
            }
            return;
        }
        if (c.round() > last + 2) { // a site that is quicker is at most one round ahead of this one
            ignoreOnce(from, "ignored a contribution of " + from + " to round " + c.round() + " while round "
                    + (last + 1) + " is under way");
            return;
        }
        String why = Contributions.refusal(c, length, rules.maxSamplesPerRound());
        if (why != null) {
            refuse(from, "its contribution to round " + c.round() + " " + why);
            return;
        }
        contributions.computeIfAbsent(c.round(), k -> new TreeMap<>()).put(from, c);
        changed.signalAll();
    }

    private void onMerged(String from, Messages.Merged g) {
        String turn = admission.admitted().get(0);
        if (!from.equals(turn) && !from.equals(askedFrom)) {
            if (latest == null || g.round() > latest.round()) {
                heldBack.put(from, g);
            }
            ignoreOnce(from, "held back a merged decoder for round " + g.round() + " from " + from + ": it is " + turn
                    + "'s turn to merge");
            return;
        }
        if (latest != null && g.round() <= latest.round()) {
            return;
        }
        String bad = length >= 0 && g.values().length != length
                ? "it has " + g.values().length + " values, the decoder " + length
                : Contributions.nonFinite(g.values(), g.state());
        if (bad != null) {
            refuse(from, "its merged decoder of round " + g.round() + " " + bad);
            return;
        }
        latest = g;
        contributions.keySet().removeIf(k -> k <= g.round());
        changed.signalAll();
    }

    private long latestRoundHeld() {
        return latest == null ? -1 : latest.round();
    }

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

    // ---------------------------------------------------------------- sending

    void say(long round, Messages.Message m) {
        sendToAll(round, Messages.encode(m));
    }

    private void sendToAll(long round, byte[] payload) {
        byte[] sealed = seal.seal(payload);
        try {
            cluster.send(null, sealed);
        } catch (ClusterException e) {
            throw new FederationException(e.getMessage(), e);
        }
        count(round, (long) sealed.length * Math.max(0, cluster.members().size() - 1));
    }

    void send(long round, String to, Messages.Message m) {
        byte[] sealed = seal.seal(Messages.encode(m));
        try {
            cluster.send(to, sealed);
            count(round, sealed.length);
        } catch (ClusterException e) {
            console.accept("could not send to " + to + ": " + e.getMessage());
        }
    }

    private void count(long round, long bytes) {
        lock.lock();
        try {
            sent.merge(round, bytes, Long::sum);
        } finally {
            lock.unlock();
        }
    }

    private void sendLater(String to, Messages.Message m) {
        onRepliesThread(() -> send(-1, to, m));
    }

    /** Runs {@code task} on the replies thread; once this site is closing there is nothing more to answer. */
    void onRepliesThread(Runnable task) {
        try {
            replies.execute(task);
        } catch (RejectedExecutionException closing) {
            // shut down: the site has left, or is leaving, the federation
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
}
