package io.samtune.distributed.federated;

import io.samtune.cluster.collective.ChunkLayout;
import io.samtune.distributed.federated.aggregation.AggregationState;
import java.io.IOException;
import java.util.HexFormat;

/**
 * What a sharded round hears ({@link ShardedMerge}): offers, plans, slices, parts, partial sums,
 * the sites' holdings and their calls to merge at one site, each kept for its round, and the
 * evidence a site shows of a refused slice, part or partial sums, believed only when it proves the
 * fault by itself. It works under the coordinator's lock, on the coordinator's state.
 */
final class ShardedIntake {

    private final ShardedMerge sharded;
    private final RoundCoordinator c;

    ShardedIntake(ShardedMerge sharded, RoundCoordinator coordinator) {
        this.sharded = sharded;
        this.c = coordinator;
    }

    /**
     * Whether a message of {@code round} is kept while this site holds the merge of {@code last}: the
     * round under way, or the next (a site that took over the merge sooner may be a round ahead).
     */
    private static boolean ahead(long round, long last) {
        return round > last && round <= last + 2;
    }

    /**
     * A refused slice, part or partial sums shown by {@code from} (under the lock): when its sender
     * sealed it in this run, for that round, and it proves its fault by itself ({@link #provenFault}),
     * this site leaves the sender out too, so that all sites merge the round at one site without it.
     */
    private void checkEvidence(String from, Messages.Need n) {
        try {
            String accused = null;
            for (String site : c.admission.present()) {
                MessageSeal.Opened o;
                try {
                    o = c.link.seal().open(site, n.evidence());
                } catch (MessageSeal.Refused notThisSite) {
                    continue;
                }
                String fault = java.util.Arrays.equals(o.session(), c.admission.sessionOf(site))
                        ? provenFault(n.round(), o.decode(), site, from) : null;
                if (fault != null) {
                    accused = site;
                    c.refuse(site, fault + " (shown by " + from + ")");
                }
                break;
            }
            if (accused == null) {
                c.ignoreOnce(from, "ignored the evidence " + from + " showed for round " + n.round() + ": it proves nothing");
            }
        } catch (IOException | RuntimeException e) {
            c.ignoreOnce(from, "ignored the evidence " + from + " showed for round " + n.round() + ": " + e.getMessage());
        }
    }

    /**
     * What a message of {@code round} from {@code accused}, shown by {@code shower}, proves wrong, or
     * null. By itself, whatever site it went to and whatever plan that site holds: a part whose values
     * or state are not finite, partial sums that are negative or not finite or of a step the iteration
     * never takes, a slice whose values are not finite or whose length is not that of slice
     * {@code index} of {@code owners} slices of the decoder. Against the round's plan, when this site
     * holds it (the plan of the site whose turn it is, as the shower's): a slice that is not the
     * shower's to merge, partial sums or a part of a slice the accused does not own, or of another size.
     */
    private String provenFault(long round, Messages.Message m, String accused, String shower) {
        String fault = null;
        if (m instanceof Messages.Part p && p.round() == round) {
            fault = ShardedRound.partValuesFault(p);
        } else if (m instanceof Messages.Distances d && d.round() == round) {
            fault = ShardedRound.sumsFault(d);
        } else if (m instanceof Messages.Slice slice && slice.round() == round) {
            fault = provenFault(round, slice);
        } else {
            return null;
        }
        ShardedRound s = sharded.existing(round);
        if (fault != null || s == null || s.plan == null || c.length < 0) {
            return fault;
        }
        ChunkLayout layout = s.layout(c.length);
        if (m instanceof Messages.Part p) {
            return s.partFault(accused, p, layout, c.stateNow().buffers().size());
        } else if (m instanceof Messages.Distances d) {
            return s.distancesFault(accused, d);
        }
        int j = s.ownedBy(shower);
        return j < 0 ? null : s.sliceFault(accused, (Messages.Slice) m, j, layout);
    }

    /** What a slice proves wrong by itself (see {@link #provenFault(long, Messages.Message, String, String)}), or null. */
    private String provenFault(long round, Messages.Slice slice) {
        String bad = Contributions.nonFinite(slice.values(), AggregationState.EMPTY);
        if (bad != null) {
            return "its slice of round " + round + " " + bad;
        }
        if (c.length < 0) {
            return null;
        }
        if (slice.owners() < 1 || slice.owners() > c.length || slice.index() < 0 || slice.index() >= slice.owners()) {
            return "its slice " + slice.index() + " of " + slice.owners() + " of round " + round + " cannot be one of a "
                    + c.length + "-value decoder";
        }
        ChunkLayout layout = ChunkLayout.of(c.length, slice.owners());
        int expected = layout.chunkEnd(slice.index()) - layout.chunkStart(slice.index());
        return slice.values().length == expected ? null : "its slice " + slice.index() + " of round " + round + " has "
                + slice.values().length + " values, slice " + slice.index() + " of " + slice.owners() + " has " + expected;
    }

    /** A message of a sharded round (under the coordinator's lock). */
    void onMessage(String from, Messages.Message m, byte[] sealed) {
        long last = c.latest == null ? -1 : c.latest.round();
        if (m instanceof Messages.Offer o) {
            if (o.round() <= last) {
                if (c.admission.admitted().get(0).equals(c.self)) { // it missed a merge: the merging site sends it the c.latest
                    Messages.Merged held = c.latest;
                    c.link.onRepliesThread(() -> c.link.send(held.round(), from, held));
                }
            } else if (o.samples() < 0 || o.samples() > c.rules.maxSamplesPerRound()) {
                c.refuse(from, "its offer to round " + o.round() + " claims " + o.samples() + " samples (a round holds 0 to "
                        + c.rules.maxSamplesPerRound() + ")");
            } else if (ahead(o.round(), last)) {
                sharded.shard(o.round()).offers.putIfAbsent(from, o);
            }
        } else if (m instanceof Messages.Plan p) {
            String turn = c.admission.admitted().get(0);
            if (!from.equals(turn)) {
                c.ignoreOnce(from, "ignored a plan of round " + p.round() + " from " + from + ": it is " + turn
                        + "'s turn to merge");
            } else if (ahead(p.round(), last) && sharded.shard(p.round()).plan == null) {
                ShardedRound s = sharded.shard(p.round());
                s.plan = p;
                String fault = s.planFault(c.length);
                if (fault != null) {
                    s.plan = null;
                    s.need = "the plan of " + from + ": " + fault;
                }
            }
        } else if (m instanceof Messages.Slice slice) {
            if (ahead(slice.round(), last) && sharded.shard(slice.round()).slices.putIfAbsent(from, slice) == null) {
                sharded.shard(slice.round()).sealedSlices.put(from, sealed);
            }
        } else if (m instanceof Messages.Part p) {
            if (ahead(p.round(), last)) {
                sharded.shard(p.round()).arrived.putIfAbsent(from, new ShardedRound.Received(from, p, sealed));
            }
        } else if (m instanceof Messages.Have h) {
            if (ahead(h.round(), last)) {
                sharded.shard(h.round()).haves.putIfAbsent(from, HexFormat.of().formatHex(h.sha256()));
            }
        } else if (m instanceof Messages.Distances d) {
            if (ahead(d.round(), last)) {
                ShardedRound s = sharded.shard(d.round());
                // an owner is at most one step ahead of this one (it needs this one's sums to move on), never behind
                int at = s.weiszfeld == null ? 0 : s.weiszfeld.steps();
                if (d.step() >= at && d.step() <= at + 1) {
                    s.arrivedDistances.putIfAbsent(from + "/" + d.step(), new ShardedRound.ReceivedSums(from, d, sealed));
                }
            }
        } else if (m instanceof Messages.Need n) {
            if (c.latest != null && n.round() == last) {
                // this site adopted the round before the sender gave it up: it sends the merge, which the sender
                // takes when it assembled the same itself
                Messages.Merged held = c.latest;
                c.link.onRepliesThread(() -> c.link.send(held.round(), from, held));
            }
            if (ahead(n.round(), last) && sharded.shard(n.round()).need == null) {
                sharded.shard(n.round()).need = from + " could not complete it (" + n.why() + ")";
            }
            if (n.evidence().length > 0) {
                checkEvidence(from, n);
            }
        }
        c.changed.signalAll();
    }
}
