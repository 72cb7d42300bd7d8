package io.samtune.distributed.federated;

import io.samtune.cluster.Cluster;
import java.io.IOException;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a {@link RoundCoordinator} hears: membership changes and sealed messages. A message is
 * believed only from an admitted session ({@link SiteAdmission}); a merge only from the site whose
 * turn it is (or from the site asked for the latest), only for a round after the last one held,
 * and only when it is finite and of the decoder's size; a contribution of the wrong size, with
 * values that are not finite, or claiming more samples than a round can hold, is refused and its
 * sender left out. It works under the coordinator's lock, on the coordinator's state.
 */
final class RoundIntake implements Cluster.Listener {

    private final RoundCoordinator rounds;

    RoundIntake(RoundCoordinator coordinator) {
        this.rounds = coordinator;
    }

    @Override
    public void onMembers(List<String> members) {
        boolean resend;
        rounds.lock.lock();
        try {
            List<String> gone = rounds.admission.onMembers(members);
            if (!gone.isEmpty() && rounds.length >= 0) {
                rounds.console.accept("site" + (gone.size() > 1 ? "s " : " ") + String.join(", ", gone)
                        + " left the federation; present: " + members);
            }
            // the merging site may have left while sending a merge that reached only some sites: the site
            // whose turn it is now sends the latest again, so no site waits for a merge the others have
            resend = !gone.isEmpty() && rounds.latest != null && rounds.admission.admitted().get(0).equals(rounds.self);
            String turn = rounds.admission.admitted().get(0);
            Messages.Merged held = rounds.heldBack.remove(turn);
            rounds.heldBack.clear();
            if (held != null && held.round() == rounds.latestRound() + 1) {
                onMerged(turn, held);
            }
            rounds.changed.signalAll();
        } finally {
            rounds.lock.unlock();
        }
        if (resend) {
            rounds.link.onRepliesThread(() -> {
                Messages.Merged m;
                rounds.lock.lock();
                try {
                    m = rounds.latest;
                } finally {
                    rounds.lock.unlock();
                }
                try {
                    rounds.link.say(m.round(), m);
                } catch (FederationException e) {
                    rounds.console.accept("could not send the merge of round " + m.round() + " again: " + e.getMessage());
                }
            });
        }
    }

    @Override
    public void onMessage(String from, byte[] sealed) {
        MessageSeal.Opened opened;
        try {
            opened = rounds.link.seal().open(from, sealed);
        } catch (MessageSeal.Refused e) {
            rounds.ignoreOnce(from, "refused " + e.getMessage());
            return;
        }
        Messages.Message m;
        try {
            m = opened.decode();
        } catch (IOException e) {
            rounds.ignoreOnce(from, "ignored a malformed message from " + from + ": " + e.getMessage());
            return;
        }
        handle(opened, m);
    }

    /** A message whose seal holds (its session not yet checked). */
    private void handle(MessageSeal.Opened opened, Messages.Message m) {
        List<MessageSeal.Opened> released = List.of();
        rounds.lock.lock();
        try {
            if (m instanceof Messages.Hello h) {
                released = rounds.admission.onHello(opened, h);
                rounds.changed.signalAll();
            } else if (m instanceof Messages.Refuse r) {
                rounds.admission.onRefuse(opened, r);
                rounds.changed.signalAll();
            } else if (rounds.admission.believes(opened)) {
                rounds.link.received(roundOf(m), opened.size());
                onBelieved(opened.from(), m, opened.sealed());
            }
        } finally {
            rounds.lock.unlock();
        }
        for (MessageSeal.Opened o : released) {
            try {
                handle(o, o.decode());
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
        } else if (m instanceof Messages.Distances d) {
            return d.round();
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
            String why = rounds.validation.onScore(from, s, rounds.admission.validationSizeOf(from));
            if (why != null) {
                rounds.console.accept("refused the validation score of " + from + " for round " + s.round() + ": " + why
                        + "; it counts as no score");
            }
        } else if (m instanceof Messages.Done d) {
            rounds.done.computeIfAbsent(d.round(), k -> new TreeSet<>()).add(from);
            rounds.changed.signalAll();
        } else if (m instanceof Messages.Latest && rounds.latest != null) {
            Messages.Merged held = rounds.latest;
            rounds.link.onRepliesThread(() -> rounds.link.send(held.round(), from, held));
        } else {
            rounds.sharded.onMessage(from, m, sealed);
        }
    }

    private void onContribution(String from, Messages.Contribution c) {
        long last = rounds.latest == null ? -1 : rounds.latest.round();
        if (c.round() <= last) {
            if (rounds.admission.admitted().get(0).equals(rounds.self)) { // it missed a merge: the merging site sends it the latest
                Messages.Merged held = rounds.latest;
                rounds.link.onRepliesThread(() -> rounds.link.send(held.round(), from, held));
            }
            return;
        }
        if (c.round() > last + 2) { // a site that is quicker is at most one round ahead of this one
            rounds.ignoreOnce(from, "ignored a contribution of " + from + " to round " + c.round() + " while round "
                    + (last + 1) + " is under way");
            return;
        }
        String why = Contributions.refusal(c, rounds.length, rounds.rules.maxSamplesPerRound());
        if (why != null) {
            rounds.refuse(from, "its contribution to round " + c.round() + " " + why);
            return;
        }
        rounds.contributions.computeIfAbsent(c.round(), k -> new TreeMap<>()).put(from, c);
        rounds.changed.signalAll();
    }

    private void onMerged(String from, Messages.Merged g) {
        String turn = rounds.admission.admitted().get(0);
        if (!from.equals(turn) && !from.equals(rounds.askedFrom) && !rounds.sharded.assembledHere(g)) {
            if (rounds.latest == null || g.round() > rounds.latest.round()) {
                rounds.heldBack.put(from, g);
            }
            rounds.ignoreOnce(from, "held back a merged decoder for round " + g.round() + " from " + from + ": it is " + turn
                    + "'s turn to merge");
            return;
        }
        if (rounds.latest != null && g.round() <= rounds.latest.round()) {
            return;
        }
        if (from.equals(rounds.askedFrom) && !from.equals(turn) && !rounds.sharded.assembledHere(g)
                && (g.round() < rounds.admission.latestOf(from) || g.round() > Messages.MAX_ROUND)) {
            rounds.refuse(from, "it sent the merged decoder of round " + g.round() + " when asked for the one of round "
                    + rounds.admission.latestOf(from) + " it said it holds");
            return;
        }
        String bad = rounds.length >= 0 && g.values().length != rounds.length
                ? "it has " + g.values().length + " values, the decoder " + rounds.length
                : Contributions.nonFinite(g.values(), g.state());
        if (bad != null) {
            rounds.refuse(from, "its merged decoder of round " + g.round() + " " + bad);
            return;
        }
        rounds.latest = g;
        rounds.sharded.forget(g.round());
        rounds.contributions.keySet().removeIf(k -> k <= g.round());
        rounds.changed.signalAll();
        if (turn.equals(rounds.self)) { // the merging site took the round from another: the sites waiting on it get it
            rounds.link.onRepliesThread(() -> rounds.link.say(g.round(), g));
        }
    }
}
