package io.samtune.distributed.federated;

import io.samtune.cluster.collective.ChunkLayout;
import io.samtune.distributed.federated.aggregation.Aggregation;
import io.samtune.distributed.federated.aggregation.AggregationState;
import io.samtune.distributed.federated.aggregation.GeometricMedian;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One round merged in slices: every site offers, the site whose turn it is plans (the sites, and
 * the owner of each coordinate slice), every site sends each owner its slice, each owner merges
 * its slice (the same arithmetic as a merge of all, on fewer coordinates; for the geometric median
 * its iteration over the slice, the owners adding up their partial sums at each step) and sends the part to
 * every site, and a site holding every part says so. A site adopts the merge once every site of
 * the plan still present holds it, so that when a site cannot complete the round (an owner left
 * before sending its part, a slice refused) no site has adopted it and all merge it at one site
 * instead. Each site sends {@code (owners-1)/owners} of its weights and receives as much of the
 * merge: {@code 2(N-1)/N} of a decoder per round, not {@code N-1} decoders.
 *
 * <p>Not thread-safe: the {@link RoundCoordinator} uses it under its lock.
 */
final class ShardedRound {

    final long round;
    final Map<String, Messages.Offer> offers = new TreeMap<>();
    final Map<String, Messages.Slice> slices = new HashMap<>();
    /** The slices as their senders sealed them: the evidence when one is refused. */
    final Map<String, byte[]> sealedSlices = new HashMap<>();
    final Map<Integer, Messages.Part> parts = new HashMap<>();
    /** Parts as they came (one per sender until checked), believed once checked against the plan. */
    final Map<String, Received> arrived = new java.util.LinkedHashMap<>();
    final Map<String, String> haves = new TreeMap<>();
    Messages.Plan plan;
    float[] mine;
    boolean slicesSent;
    boolean haveSent;
    /** Why this round is merged at one site instead, once a site could not complete it. */
    String need;
    /** Whether this site has said so to the others. */
    boolean needSaid;
    Messages.Merged result;
    /** The geometric median's iteration over the slice this site owns, once it started. */
    GeometricMedian.InSlices weiszfeld;
    /** The owners' partial sums as they came, checked against the plan when it is known. */
    final Map<String, ReceivedSums> arrivedDistances = new java.util.LinkedHashMap<>();
    /** The owners' partial sums by step, then by slice. */
    final Map<Integer, Map<Integer, double[]>> distances = new HashMap<>();

    /** A part, its sender and the part as sealed (the evidence when it is refused). */
    record Received(String from, Messages.Part part, byte[] sealed) {
    }

    /** Partial sums, their sender and the sums as sealed (the evidence when they are refused). */
    record ReceivedSums(String from, Messages.Distances sums, byte[] sealed) {
    }

    ShardedRound(long round) {
        this.round = round;
    }

    /** The slice layout of the plan for a decoder of {@code length} values. */
    ChunkLayout layout(int length) {
        return ChunkLayout.of(length, plan.owners().size());
    }

    /** The slice {@code self} owns, or -1. */
    int ownedBy(String self) {
        return plan.owners().indexOf(self);
    }

    /** Why the plan cannot be followed here (names repeated, owners not among the sites), or null. */
    String planFault(int length) {
        if (plan.sites().isEmpty() || plan.owners().isEmpty() || !plan.sites().containsAll(plan.owners())
                || plan.sites().stream().distinct().count() != plan.sites().size()
                || plan.owners().stream().distinct().count() != plan.owners().size()
                || plan.owners().size() > length) {
            return "its plan of round " + round + " names sites " + plan.sites() + " and owners " + plan.owners();
        }
        return null;
    }

    /** Why {@code s} from {@code from} cannot be merged into slice {@code index}, or null. */
    String sliceFault(String from, Messages.Slice s, int index, ChunkLayout layout) {
        if (!plan.sites().contains(from)) {
            return "it sent a slice of round " + round + " without being in its plan";
        }
        if (s.index() != index || s.owners() != plan.owners().size()) {
            return "it sent slice " + s.index() + " of " + s.owners() + " of round " + round + " to the owner of slice "
                    + index + " of " + plan.owners().size();
        }
        int expected = layout.chunkEnd(index) - layout.chunkStart(index);
        if (s.values().length != expected) {
            return "its slice " + s.index() + " of round " + round + " has " + s.values().length + " values, slice "
                    + index + " has " + expected;
        }
        String bad = Contributions.nonFinite(s.values(), AggregationState.EMPTY);
        return bad == null ? null : "its slice of round " + round + " " + bad;
    }

    /** Why part {@code p} cannot be believed from {@code from}, or null. */
    String partFault(String from, Messages.Part p, ChunkLayout layout, int buffers) {
        if (p.index() < 0 || p.index() >= plan.owners().size() || !plan.owners().get(p.index()).equals(from)) {
            return "it sent part " + p.index() + " of round " + round + ", which the plan gives to another site";
        }
        int expected = layout.chunkEnd(p.index()) - layout.chunkStart(p.index());
        if (p.values().length != expected || p.state().size() != buffers
                || p.state().stream().anyMatch(b -> b.length != expected)) {
            return "its part " + p.index() + " of round " + round + " has " + p.values().length + " values, the slice "
                    + expected;
        }
        return partValuesFault(p);
    }

    /** The owner's part: the strategy on slice {@code index} of every site's weights, the global and the state. */
    Messages.Part merge(int index, ChunkLayout layout, Aggregation aggregation, float[] global, AggregationState state,
                        Map<String, Double> siteWeights) {
        int from = layout.chunkStart(index);
        int to = layout.chunkEnd(index);
        Aggregation.Result r = aggregation.aggregate(round, Arrays.copyOfRange(global, from, to), updates(siteWeights),
                slice(state, from, to));
        return new Messages.Part(round, index, r.global(), r.state().buffers(), r.state().rounds());
    }

    /** Each site of the plan's slice (the one this site owns), with its weight, in the plan's order. */
    List<Aggregation.SiteUpdate> updates(Map<String, Double> siteWeights) {
        boolean anySamples = plan.sites().stream().anyMatch(s -> offers.get(s).samples() > 0);
        List<Aggregation.SiteUpdate> updates = new ArrayList<>();
        for (String site : plan.sites()) {
            double weight = siteWeights.getOrDefault(site, 1.0);
            // no samples since the last round anywhere: the sites' weights alone
            updates.add(new Aggregation.SiteUpdate(site, slices.get(site).values(),
                    anySamples ? offers.get(site).samples() * weight : weight));
        }
        return updates;
    }

    /**
     * Why partial sums from {@code from} cannot be used (not the owner of that slice, another
     * count, values that are not finite or negative), or null.
     */
    String distancesFault(String from, Messages.Distances d) {
        if (d.index() < 0 || d.index() >= plan.owners().size() || !plan.owners().get(d.index()).equals(from)) {
            return "it sent partial sums of round " + round + " for slice " + d.index() + ", which it does not own";
        }
        if (d.partials().length != plan.sites().size() + 2) {
            return "its partial sums of round " + round + " (step " + d.step() + ") hold " + d.partials().length
                    + " values, the plan " + (plan.sites().size() + 2);
        }
        return sumsFault(d);
    }

    /**
     * What partial sums prove wrong by themselves, whatever plan a site holds, or null: a step the
     * iteration never takes, values that are negative or not finite.
     */
    static String sumsFault(Messages.Distances d) {
        if (d.step() < 0 || d.step() > GeometricMedian.InSlices.LAST_STEP) {
            return "its partial sums of round " + d.round() + " are of step " + d.step();
        }
        for (double v : d.partials()) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                return "its partial sums of round " + d.round() + " hold " + v;
            }
        }
        return null;
    }

    /** What a part proves wrong by itself, or null: values or state that are not finite. */
    static String partValuesFault(Messages.Part p) {
        String bad = Contributions.nonFinite(p.values(), new AggregationState(0, p.state()));
        return bad == null ? null : "its part of round " + p.round() + " " + bad;
    }

    /** The merge, from every part. */
    Messages.Merged assemble(int length) {
        float[] values = new float[length];
        int buffers = parts.get(0).state().size();
        List<float[]> state = new ArrayList<>();
        for (int b = 0; b < buffers; b++) {
            state.add(new float[length]);
        }
        ChunkLayout layout = layout(length);
        for (int j = 0; j < plan.owners().size(); j++) {
            Messages.Part p = parts.get(j);
            System.arraycopy(p.values(), 0, values, layout.chunkStart(j), p.values().length);
            for (int b = 0; b < buffers; b++) {
                System.arraycopy(p.state().get(b), 0, state.get(b), layout.chunkStart(j), p.values().length);
            }
        }
        boolean allFinished = plan.sites().stream().allMatch(s -> offers.get(s).finished());
        return new Messages.Merged(round, allFinished, plan.sites(), values,
                new AggregationState(parts.get(0).stateRounds(), state));
    }

    /** Slice {@code [from, to)} of a state's buffers. */
    static AggregationState slice(AggregationState state, int from, int to) {
        List<float[]> out = new ArrayList<>();
        for (float[] b : state.buffers()) {
            out.add(Arrays.copyOfRange(b, from, to));
        }
        return new AggregationState(state.rounds(), out);
    }
}
