package io.samtune.distributed.federated;

import io.samtune.cluster.collective.ChunkLayout;
import io.samtune.distributed.federated.aggregation.AggregationState;
import io.samtune.distributed.federated.aggregation.GeometricMedian;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The rounds of a {@link RoundCoordinator} merged in slices ({@code shardedMerge}): it offers this
 * site's contribution, plans the round when it is this site's turn, sends each owner its slice,
 * merges the slice this site owns, and adopts the merge once every site holds it; when the round
 * cannot complete it tells every site (with the refused slice as evidence) and merges the round at
 * one site instead. One {@link ShardedRound} per round holds what arrived. It works under the
 * coordinator's lock, on the coordinator's state.
 */
final class ShardedMerge {

    private final RoundCoordinator c;
    private final Map<Long, ShardedRound> shards = new HashMap<>();
    private final ShardedIntake intake;
    /**
     * The merges this site assembled for rounds it has not adopted yet, kept when it gives one up
     * ({@link #assembledHere}).
     */
    private final Map<Long, Messages.Merged> assembled = new HashMap<>();
    /** How many slices the recent rounds adopted here were merged in. */
    private final Map<Long, Integer> slicesOf = new HashMap<>();

    ShardedMerge(RoundCoordinator coordinator) {
        this.c = coordinator;
        this.intake = new ShardedIntake(this, coordinator);
    }

    /** How many slices round {@code r} was merged in here (1: at one site, or not in slices; under the lock). */
    int slicesOf(long r) {
        return slicesOf.getOrDefault(r, 1);
    }

    /** A round merged in slices ({@link ShardedRound}); merged at one site when it cannot complete. */
    Messages.Merged round(Messages.Contribution mine) {
        long r = mine.round();
        ShardedRound s;
        Messages.Offer offer = new Messages.Offer(r, mine.samples(), mine.finished());
        c.lock.lock();
        try {
            s = shard(r);
            s.mine = mine.values();
            s.offers.put(c.self, offer);
        } finally {
            c.lock.unlock();
        }
        c.link.say(r, offer);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(shardSeconds());
        while (true) {
            List<Runnable> actions = new ArrayList<>();
            Messages.Merged done = null;
            String fallback = null;
            c.lock.lock();
            try {
                if (c.latest != null && c.latest.round() >= r) {
                    return c.latest;
                }
                c.greetAgainNow();
                if (s.need == null) {
                    done = progress(s, actions, deadline);
                }
                fallback = done == null ? s.need : null;
                if (done == null && fallback == null && actions.isEmpty()) {
                    c.changed.await(100, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FederationException("interrupted while merging round " + r, e);
            } finally {
                c.lock.unlock();
            }
            actions.forEach(Runnable::run);
            if (done != null) {
                return done;
            }
            if (fallback != null) {
                if (!s.needSaid) { // heard from another site: said on, so that a call sent to some sites reaches all
                    c.link.say(r, new Messages.Need(r, fallback, new byte[0]));
                }
                c.console.accept("round " + r + ": merged at one site instead of in slices: " + fallback);
                c.lock.lock();
                try {
                    shards.keySet().removeIf(k -> k <= r);
                } finally {
                    c.lock.unlock();
                }
                return c.oneSite.round(mine);
            }
        }
    }

    /** Takes a sharded round as far as it goes now (under the lock); the merge once adopted, else null. */
    private Messages.Merged progress(ShardedRound s, List<Runnable> actions, long deadline) {
        long r = s.round;
        List<String> present = c.admission.admitted();
        if (s.plan == null && present.get(0).equals(c.self) && present.size() >= c.rules.minPeers()
                && s.offers.keySet().containsAll(present)) {
            // the first merge of a strategy with state starts from this site's weights and state: merged here
            boolean inSlices = c.rules.aggregation().perCoordinate() || c.rules.aggregation() instanceof GeometricMedian;
            boolean here = !inSlices || (c.latest == null && !c.rules.aggregation().initialState(0).buffers().isEmpty());
            // no more owners than values: every slice holds at least one
            Messages.Plan plan = new Messages.Plan(r, present, here ? List.of(c.self)
                    : present.subList(0, Math.min(present.size(), Math.max(1, c.length))));
            s.plan = plan;
            actions.add(() -> c.link.say(r, plan));
        }
        if (s.plan == null) {
            return deadline(s, actions, deadline);
        }
        ChunkLayout layout = s.layout(c.length);
        if (s.plan.sites().contains(c.self) && !s.slicesSent) {
            s.slicesSent = true;
            for (int j = 0; j < s.plan.owners().size(); j++) {
                Messages.Slice slice = new Messages.Slice(r, j, s.plan.owners().size(), java.util.Arrays.copyOfRange(s.mine,
                        layout.chunkStart(j), layout.chunkEnd(j)));
                String owner = s.plan.owners().get(j);
                if (owner.equals(c.self)) {
                    s.slices.put(c.self, slice);
                } else {
                    actions.add(() -> c.link.send(r, owner, slice));
                }
            }
        }
        int buffers = c.stateNow().buffers().size();
        for (ShardedRound.Received p : s.arrived.values()) {
            String fault = s.partFault(p.from(), p.part(), layout, buffers);
            if (fault != null) {
                c.refuse(p.from(), fault);
                return need(s, "the part of " + p.from() + " was refused", p.sealed(), actions);
            }
            s.parts.putIfAbsent(p.part().index(), p.part());
        }
        s.arrived.clear();
        for (ShardedRound.ReceivedSums d : s.arrivedDistances.values()) {
            String fault = s.distancesFault(d.from(), d.sums());
            if (fault != null) {
                c.refuse(d.from(), fault);
                return need(s, "the partial sums of " + d.from() + " were refused", d.sealed(), actions);
            }
            s.distances.computeIfAbsent(d.sums().step(), k -> new HashMap<>()).putIfAbsent(d.sums().index(),
                    d.sums().partials());
        }
        s.arrivedDistances.clear();
        int j = s.ownedBy(c.self);
        // the offers travel apart from the slices and may come after them: both are needed to merge
        if (j >= 0 && !s.parts.containsKey(j) && s.slices.keySet().containsAll(s.plan.sites())
                && s.offers.keySet().containsAll(s.plan.sites())) {
            for (String site : s.plan.sites()) {
                String fault = s.sliceFault(site, s.slices.get(site), j, layout);
                if (fault != null) {
                    c.refuse(site, fault);
                    return need(s, "the slice of " + site + " was refused", s.sealedSlices.getOrDefault(site,
                            new byte[0]), actions);
                }
            }
            Messages.Part part = c.rules.aggregation() instanceof GeometricMedian
                    ? iterate(s, j, actions)
                    : s.merge(j, layout, c.rules.aggregation(), c.globalNow(), c.stateNow(), c.rules.siteWeights());
            if (part == null) {
                return ownersLeft(s, actions, deadline); // the other owners' sums of this step are still to come
            }
            String bad = Contributions.nonFinite(part.values(), new AggregationState(0, part.state()));
            if (bad != null) {
                throw new FederationException("the merge of round " + r + " of " + s.plan.sites() + " ("
                        + c.rules.aggregation().name() + ") is not finite: " + bad + "; no site adopts it. Lower the"
                        + " learning rate (or merge's serverLr)");
            }
            s.parts.put(j, part);
            actions.add(() -> c.link.say(r, part));
        }
        if (!s.haveSent && s.parts.size() == s.plan.owners().size()) {
            s.result = s.assemble(c.length);
            assembled.put(r, s.result);
            s.haveSent = true;
            byte[] sha = digestOf(s.result);
            s.haves.put(c.self, HexFormat.of().formatHex(sha));
            actions.add(() -> c.link.say(r, new Messages.Have(r, sha)));
        }
        if (s.result != null) {
            String mine = s.haves.get(c.self);
            if (s.haves.entrySet().stream().anyMatch(e -> !e.getValue().equals(mine))) {
                return need(s, "the sites hold different merges " + s.haves, actions);
            }
            if (s.haves.keySet().containsAll(c.admission.presentOf(s.plan.sites()))) {
                c.latest = s.result;
                slicesOf.put(r, s.plan.owners().size());
                slicesOf.keySet().removeIf(k -> k < r - 16);
                c.contributions.keySet().removeIf(k -> k <= r);
                forget(r);
                c.changed.signalAll();
                return s.result;
            }
            return deadline(s, actions, deadline);
        }
        return ownersLeft(s, actions, deadline);
    }

    /**
     * One or more steps of the geometric median over slice {@code j} (under the lock): starts the
     * iteration, and takes each step whose partial sums every owner has sent, sending this
     * owner's sums of the next; the part once the iteration ends, else null.
     */
    private Messages.Part iterate(ShardedRound s, int j, List<Runnable> actions) {
        long r = s.round;
        int owners = s.plan.owners().size();
        if (s.weiszfeld == null) {
            s.weiszfeld = new GeometricMedian.InSlices(s.updates(c.rules.siteWeights()));
            share(s, j, actions);
        }
        while (true) {
            Map<Integer, double[]> step = s.distances.getOrDefault(s.weiszfeld.steps(), Map.of());
            if (step.size() < owners) {
                return null;
            }
            List<double[]> byOwner = new ArrayList<>();
            for (int k = 0; k < owners; k++) {
                byOwner.add(step.get(k));
            }
            s.distances.remove(s.weiszfeld.steps());
            if (s.weiszfeld.advance(GeometricMedian.InSlices.sum(byOwner))) {
                return new Messages.Part(r, j, s.weiszfeld.result(), List.of(), c.stateNow().rounds() + 1);
            }
            share(s, j, actions);
        }
    }

    /** Keeps this owner's partial sums of the step under way and sends them to the other owners. */
    private void share(ShardedRound s, int j, List<Runnable> actions) {
        Messages.Distances d = new Messages.Distances(s.round, j, s.weiszfeld.steps(), s.weiszfeld.partials());
        s.distances.computeIfAbsent(d.step(), k -> new HashMap<>()).put(j, d.partials());
        for (String owner : s.plan.owners()) {
            if (!owner.equals(c.self)) {
                actions.add(() -> c.link.send(s.round, owner, d));
            }
        }
    }

    /** Gives the round up when an owner (or a site whose slice this owner waits for) left; else the deadline. */
    private Messages.Merged ownersLeft(ShardedRound s, List<Runnable> actions, long deadline) {
        int j = s.ownedBy(c.self);
        for (int k = 0; k < s.plan.owners().size(); k++) {
            String owner = s.plan.owners().get(k);
            if (!s.parts.containsKey(k) && !c.admission.present().contains(owner)) {
                return need(s, owner + ", the owner of slice " + k + ", left", actions);
            }
        }
        if (j >= 0 && !s.parts.containsKey(j)) {
            for (String site : s.plan.sites()) {
                if (!s.slices.containsKey(site) && !c.admission.present().contains(site)) {
                    return need(s, site + " left before sending its slice", actions);
                }
            }
        }
        return deadline(s, actions, deadline);
    }

    /** Gives up the sharded round at its deadline (under the lock); null. */
    private Messages.Merged deadline(ShardedRound s, List<Runnable> actions, long deadline) {
        if (System.nanoTime() > deadline) {
            need(s, "no merge in slices within " + shardSeconds() + " s", actions);
        }
        return null;
    }

    /** How long a sharded round may take before the sites merge it at one site instead. */
    private int shardSeconds() {
        return Math.max(2, c.rules.timeoutSeconds() / 2);
    }

    /** Gives up the sharded round here and tells every site (under the lock); null. */
    private Messages.Merged need(ShardedRound s, String why, List<Runnable> actions) {
        return need(s, why, new byte[0], actions);
    }

    /**
     * As {@link #need(ShardedRound, String, List)}, showing the refused slice, part or partial sums as
     * their sender sealed them, so that the sites that have not seen them yet refuse the sender too.
     */
    private Messages.Merged need(ShardedRound s, String why, byte[] evidence, List<Runnable> actions) {
        s.need = why;
        s.needSaid = true;
        long r = s.round;
        actions.add(() -> c.link.say(r, new Messages.Need(r, why, evidence)));
        c.changed.signalAll();
        return null;
    }

    /**
     * What a site holding merge {@code m} says it holds: SHA-256 over the values' SHA-256, whether
     * every site finished, the sites merged and the aggregation's state, so that sites told apart (a
     * member offering "finished" to some sites only) do not adopt the round as one.
     */
    static byte[] digestOf(Messages.Merged m) {
        StringBuilder held = new StringBuilder(FederatedSynchroniser.sha256(m.values())).append('/').append(m.allFinished())
                .append('/').append(String.join(",", m.sites())).append('/').append(m.state().rounds());
        for (float[] buffer : m.state().buffers()) {
            held.append('/').append(FederatedSynchroniser.sha256(buffer));
        }
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(held.toString().getBytes(
                    java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * Whether {@code m} is the merge this site assembled for its round itself (same digest): a
     * site that adopted the round before this one gave it up sends it, and this site takes it
     * from any site, as it trusts nothing it did not compute.
     */
    boolean assembledHere(Messages.Merged m) {
        Messages.Merged mine = assembled.get(m.round());
        return mine != null && java.util.Arrays.equals(digestOf(mine), digestOf(m));
    }

    /** Forgets the rounds up to {@code r}, merged (under the lock), and the merges assembled for them. */
    void forget(long r) {
        shards.keySet().removeIf(k -> k <= r);
        assembled.keySet().removeIf(k -> k <= r);
    }

    /** The round {@code r} as this site holds it, or null. */
    ShardedRound existing(long r) {
        return shards.get(r);
    }

    ShardedRound shard(long r) {
        return shards.computeIfAbsent(r, ShardedRound::new);
    }

    /** A message of a sharded round (under the coordinator's lock): see {@link ShardedIntake}. */
    void onMessage(String from, Messages.Message m, byte[] sealed) {
        intake.onMessage(from, m, sealed);
    }
}
