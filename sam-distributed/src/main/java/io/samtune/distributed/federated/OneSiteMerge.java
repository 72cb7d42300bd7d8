package io.samtune.distributed.federated;

import io.samtune.distributed.federated.aggregation.Aggregation;
import io.samtune.distributed.federated.aggregation.AggregationState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The rounds of a {@link RoundCoordinator} merged at one site: each site sends its contribution to
 * all; the admitted site present first in name order merges the round's contributions in name
 * order with the {@link Aggregation} and its state, and sends the result, with the state, to all.
 * It works under the coordinator's lock, on the coordinator's state.
 */
final class OneSiteMerge {

    private final RoundCoordinator rounds;

    OneSiteMerge(RoundCoordinator coordinator) {
        this.rounds = coordinator;
    }

    /** Sends {@code mine} to every site and waits for the round's merge (merging it here in turn). */
    Messages.Merged round(Messages.Contribution mine) {
        rounds.lock.lock();
        try {
            rounds.contributions.computeIfAbsent(mine.round(), k -> new TreeMap<>()).put(rounds.self, mine);
        } finally {
            rounds.lock.unlock();
        }
        rounds.link.say(mine.round(), mine);
        return awaitMerged(mine.round(), "round " + mine.round(), true);
    }

    /**
     * Waits for the merge of round {@code r} (or a later one), merging it here when it is this site's
     * turn. With {@code leaveOutSilent}, the merging site leaves out, after 4/5 of the round timeout,
     * the admitted sites that sent it no contribution to the round (when the others are still
     * {@code minPeers}), so that a member that stays silent cannot stall the federation.
     */
    Messages.Merged awaitMerged(long r, String what, boolean leaveOutSilent) {
        long now = System.nanoTime();
        long deadline = now + TimeUnit.SECONDS.toNanos(rounds.rules.timeoutSeconds());
        long leaveOut = leaveOutSilent ? now + TimeUnit.SECONDS.toNanos(rounds.rules.timeoutSeconds()) * 4 / 5 : Long.MAX_VALUE;
        int said = -1;
        Messages.Merged mergedHere;
        java.util.Set<String> skipped = new java.util.TreeSet<>(); // admitted during the wait: merged without, not refused
        rounds.lock.lock();
        try {
            while (true) {
                if (rounds.latest != null && rounds.latest.round() >= r) {
                    return rounds.latest;
                }
                rounds.greetAgainNow();
                List<String> expected = rounds.admission.admitted();
                if (expected.size() >= rounds.rules.minPeers()) {
                    TreeMap<String, Messages.Contribution> got = rounds.contributions.getOrDefault(r, new TreeMap<>());
                    if (expected.get(0).equals(rounds.self) && System.nanoTime() > leaveOut
                            && leaveOutSilent(r, expected, got, now, skipped)) {
                        continue; // the turn and the sites expected are those left
                    }
                    List<String> awaited = expected.stream().filter(site -> !skipped.contains(site)).toList();
                    if (expected.get(0).equals(rounds.self) && got.keySet().containsAll(awaited)) {
                        // with the contributions of admitted sites that sent theirs and left since: a site that
                        // dies while sending its merge leaves the next to merge the same sites, to the same bits
                        TreeSet<String> sites = new TreeSet<>(awaited);
                        for (String site : got.keySet()) {
                            if (rounds.admission.isAdmitted(site)) {
                                sites.add(site);
                            }
                        }
                        mergedHere = merge(r, List.copyOf(sites), got);
                        rounds.latest = mergedHere;
                        rounds.sharded.forget(r);
                        rounds.contributions.keySet().removeIf(k -> k <= r);
                        break;
                    }
                } else if (expected.size() != said) {
                    said = expected.size();
                    rounds.console.accept("waiting for peers: " + said + " of " + rounds.rules.minPeers() + " present " + expected
                            + " (" + what + ")");
                }
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    throw new FederationException(expected.size() < rounds.rules.minPeers()
                            ? "only " + expected.size() + " of " + rounds.rules.minPeers() + " sites present " + expected
                                    + " after " + rounds.rules.timeoutSeconds() + " s (" + what + ")" + rounds.lateSiteAdvice()
                                    + rounds.admission.refusedSummary()
                            : "no merge of " + what + " within " + rounds.rules.timeoutSeconds() + " s (sites present: "
                                    + expected + "); raise roundTimeoutSeconds if a site is slow");
                }
                rounds.changed.await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FederationException("interrupted while waiting for " + what, e);
        } finally {
            rounds.lock.unlock();
        }
        rounds.link.say(r, mergedHere);
        return mergedHere;
    }

    /**
     * Leaves out the expected sites that sent no contribution to round {@code r}, when the others are
     * still {@code minPeers} (under the lock): a site admitted before the wait began had the whole
     * time and is refused (named) until it joins again; one admitted since is only merged without in
     * this round ({@code skipped}). True when it left one out.
     */
    private boolean leaveOutSilent(long r, List<String> expected, Map<String, Messages.Contribution> got, long waitBegan,
                                   java.util.Set<String> skipped) {
        List<String> silent = expected.stream().filter(site -> !site.equals(rounds.self) && !got.containsKey(site)
                && !skipped.contains(site)).toList();
        if (silent.isEmpty() || expected.size() - skipped.size() - silent.size() < rounds.rules.minPeers()) {
            return false;
        }
        for (String site : silent) {
            if (rounds.admission.admittedAt(site) <= waitBegan) {
                rounds.refuse(site, "it sent no contribution to round " + r + " within " + rounds.rules.timeoutSeconds() * 4 / 5
                        + " s (4/5 of roundTimeoutSeconds); the round is merged without it");
            } else {
                skipped.add(site);
                rounds.console.accept("round " + r + ": merged without " + site + ", admitted while the round was under way");
            }
        }
        return true;
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
            double weight = rounds.rules.siteWeights().getOrDefault(site, 1.0);
            // no samples since the last round anywhere: the sites' weights alone
            updates.add(new Aggregation.SiteUpdate(site, c.values(), anySamples ? c.samples() * weight : weight));
            allFinished &= c.finished();
        }
        float[] global = rounds.globalNow();
        AggregationState state = rounds.stateNow();
        Aggregation.Result result = rounds.rules.aggregation().aggregate(r, global, updates, state);
        String bad = Contributions.nonFinite(result.global(), result.state());
        if (bad != null) {
            throw new FederationException("the merge of round " + r + " of " + sites + " (" + rounds.rules.aggregation().name()
                    + ") is not finite: " + bad + "; no site adopts it. Lower the learning rate (or merge's serverLr)");
        }
        return new Messages.Merged(r, allFinished, sites, result.global(), result.state());
    }
}
