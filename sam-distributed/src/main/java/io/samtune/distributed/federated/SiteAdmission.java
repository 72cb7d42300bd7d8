package io.samtune.distributed.federated;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Which members take part in the rounds. A member is admitted when it has proven, in this run, that
 * it holds the key of the certificate issued to its name (it signed a hello that echoes this site's
 * fresh session) and it shares the settings every site must share. Its own session is then the
 * only one whose messages are believed, so messages recorded in another run of it are not;
 * messages that arrive before its proof are kept (a few) until it comes. A site refused by this
 * one, or refusing it, takes no part until it joins again.
 *
 * <p>Not thread-safe: the {@link RoundCoordinator} calls it under its lock.
 */
final class SiteAdmission {

    /** Sends a message to one member, later (never under the caller's lock). */
    @FunctionalInterface
    interface Outbox {
        void send(String to, Messages.Message message);
    }

    private static final int MAX_PENDING = 8;

    private final String self;
    private final Map<String, String> compatibility;
    private final byte[] session;
    private final int validationSize;
    private final Outbox outbox;
    private final Consumer<String> console;
    private final LongSupplier latest;

    private List<String> present = List.of();
    private final TreeSet<String> accepted = new TreeSet<>();
    private final Map<String, byte[]> proven = new HashMap<>();
    private final Map<String, byte[]> answered = new HashMap<>();
    private final Map<String, Long> peerLatest = new HashMap<>();
    private final Map<String, Integer> validationSizes = new HashMap<>();
    private final Map<String, List<MessageSeal.Opened>> pending = new HashMap<>();
    private final Map<String, String> refusedPeers = new TreeMap<>();
    private final Map<String, String> refusedBy = new TreeMap<>();
    /** The sites refused for what they sent (not for their settings). */
    private final java.util.Set<String> misbehaved = new java.util.TreeSet<>();
    /** When each site was admitted (System.nanoTime). */
    private final Map<String, Long> admittedAt = new HashMap<>();

    /**
     * @param self this site's name
     * @param compatibility the settings every site must share, by their names in messages
     * @param session this site's session ({@link MessageSeal#session()})
     * @param validationSize the validation slices this site scores
     * @param latest the latest merged round this site holds, or -1
     */
    SiteAdmission(String self, Map<String, String> compatibility, byte[] session, int validationSize, LongSupplier latest,
                  Outbox outbox, Consumer<String> console) {
        this.self = self;
        this.compatibility = new TreeMap<>(compatibility);
        this.session = session.clone();
        this.validationSize = validationSize;
        this.latest = latest;
        this.outbox = outbox;
        this.console = console;
        accepted.add(self);
    }

    /** A hello to {@code to}, echoing {@code echo} (its session, or empty). */
    Messages.Hello hello(byte[] echo) {
        return new Messages.Hello(echo.clone(), latest.getAsLong(), validationSize, compatibility);
    }

    /** The group changed: greets the members that joined; returns those that left. */
    List<String> onMembers(List<String> members) {
        List<String> joined = new ArrayList<>(members);
        joined.removeAll(present);
        List<String> gone = new ArrayList<>(present);
        gone.removeAll(members);
        present = List.copyOf(members);
        // a site that (re)joins is judged afresh: refusals of an earlier run of it no longer hold
        refusedBy.keySet().removeAll(joined);
        refusedPeers.keySet().removeAll(joined);
        misbehaved.removeAll(joined);
        for (String s : joined) {
            if (!s.equals(self)) {
                outbox.send(s, hello(new byte[0]));
            }
        }
        return gone;
    }

    /**
     * A hello: admits its sender when it echoes this site's session and shares the settings, and
     * answers each session of it once. Returns the sender's messages kept until its proof.
     */
    List<MessageSeal.Opened> onHello(MessageSeal.Opened from, Messages.Hello h) {
        String site = from.from();
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, String> e : compatibility.entrySet()) {
            String theirs = h.compatibility().get(e.getKey());
            if (!e.getValue().equals(theirs)) {
                mismatches.add(e.getKey() + " is " + abbreviate(theirs) + " at " + site + ", " + abbreviate(e.getValue())
                        + " at " + self);
            }
        }
        if (!mismatches.isEmpty()) {
            String why = "site " + self + " refused site " + site + ": " + String.join("; ", mismatches)
                    + "; every site must train the same model from the same checkpoint with the same settings";
            if (exclude(refusedPeers, site, String.join("; ", mismatches))) {
                console.accept(why);
            }
            outbox.send(site, new Messages.Refuse(why, from.session()));
            return List.of();
        }
        if (refusedBy.containsKey(site)) {
            refusedThoughMatching(site);
            return List.of(); // its hello (which may arrive after the refusal) does not undo that
        }
        if (h.latest() < -1 || h.latest() > Messages.MAX_ROUND) {
            if (refuse(site, "it says it holds the merged decoder of round " + h.latest() + " (rounds run from 0 to "
                    + Messages.MAX_ROUND + ")")) {
                console.accept("refused site " + site + ": " + refusedPeers.get(site) + "; it takes no part until it"
                        + " joins again");
            }
            return List.of();
        }
        if (refusedPeers.containsKey(site)) {
            return List.of(); // refused for what it sent: a hello of the same run does not undo that, joining again does
        }
        // answer each session once, and any hello that does not yet echo this site's session (its
        // sender may have missed the answer: a send to a member not yet in the sender's view fails)
        if (!Arrays.equals(answered.get(site), from.session()) || !Arrays.equals(h.echo(), session)) {
            answered.put(site, from.session());
            outbox.send(site, hello(from.session()));
        }
        if (!Arrays.equals(h.echo(), session)) {
            return List.of();
        }
        proven.put(site, from.session());
        if (accepted.add(site)) {
            admittedAt.put(site, System.nanoTime());
        }
        peerLatest.put(site, h.latest());
        validationSizes.put(site, Math.max(0, h.validationSize()));
        List<MessageSeal.Opened> kept = new ArrayList<>();
        for (MessageSeal.Opened o : pending.getOrDefault(site, List.of())) {
            if (Arrays.equals(o.session(), from.session())) {
                kept.add(o);
            }
        }
        pending.remove(site);
        return kept;
    }

    /** A refusal of this site, believed when it answers this site's session. */
    void onRefuse(MessageSeal.Opened from, Messages.Refuse r) {
        if (!Arrays.equals(r.echo(), session)) {
            return;
        }
        boolean matched = accepted.contains(from.from());
        if (exclude(refusedBy, from.from(), r.why())) {
            console.accept(r.why());
        }
        if (matched) {
            refusedThoughMatching(from.from());
        }
    }

    /**
     * {@code site} refused this one although their settings match (sites whose settings differ refuse
     * each other): it sent what this code never sends, and counts among the sites refused for that.
     */
    private void refusedThoughMatching(String site) {
        if (misbehaved.add(site)) {
            console.accept("refused site " + site + ": it refused this site although their settings match; it takes no"
                    + " part until it joins again");
        }
    }

    /**
     * True when a message comes from its sender's proven session; a message of a session not yet
     * proven is kept (a few per sender) for when it is, others are dropped.
     */
    boolean believes(MessageSeal.Opened o) {
        byte[] s = proven.get(o.from());
        if (s != null && Arrays.equals(s, o.session())) {
            return true;
        }
        List<MessageSeal.Opened> kept = pending.computeIfAbsent(o.from(), k -> new ArrayList<>());
        if (kept.size() < MAX_PENDING) {
            kept.add(o);
        }
        return false;
    }

    /** The session {@code site} proved in this run, or null. */
    byte[] sessionOf(String site) {
        return proven.get(site);
    }

    /** Leaves {@code site} out of the rounds until it joins again; true the first time. */
    boolean refuse(String site, String why) {
        misbehaved.add(site);
        return exclude(refusedPeers, site, why);
    }

    /** The sites refused for what they sent (their settings matched), until they join again. */
    java.util.Set<String> misbehaved() {
        return java.util.Collections.unmodifiableSet(misbehaved);
    }

    /** When {@code site} was admitted last (System.nanoTime), or Long.MAX_VALUE if it is not. */
    long admittedAt(String site) {
        return accepted.contains(site) ? admittedAt.getOrDefault(site, Long.MIN_VALUE) : Long.MAX_VALUE;
    }

    private boolean exclude(Map<String, String> reasons, String site, String why) {
        accepted.remove(site);
        proven.remove(site);
        return reasons.put(site, why) == null;
    }

    /**
     * Greets again the present members not admitted (nor refused) yet: a greeting or its answer may
     * have been lost (a member is greeted before it is in the sender's view).
     */
    void greetAgain() {
        for (String s : present) {
            if (!s.equals(self) && !accepted.contains(s) && !refusedPeers.containsKey(s) && !refusedBy.containsKey(s)) {
                outbox.send(s, hello(new byte[0]));
            }
        }
    }

    /** The members of the group now. */
    List<String> present() {
        return present;
    }

    /** The admitted members present now (this site included), in name order. */
    List<String> admitted() {
        return presentOf(accepted);
    }

    /** Whether {@code site} was admitted (present or not). */
    boolean isAdmitted(String site) {
        return accepted.contains(site);
    }

    /**
     * The given sites admitted and present now (this site included), in name order: those whose
     * messages are believed, so the only ones worth waiting for.
     */
    List<String> admittedOf(Collection<String> sites) {
        return presentOf(sites).stream().filter(accepted::contains).toList();
    }

    /** The given sites that are present now, in name order. */
    List<String> presentOf(Collection<String> sites) {
        List<String> out = new ArrayList<>();
        for (String s : new TreeSet<>(sites)) {
            if (present.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** The admitted site present (not this one) holding the latest merged round, or null when none holds one. */
    String holderOfLatest() {
        String from = null;
        long best = -1;
        for (String s : admitted()) {
            long l = peerLatest.getOrDefault(s, -1L);
            if (!s.equals(self) && l > best) {
                best = l;
                from = s;
            }
        }
        return from;
    }

    /** The latest merged round {@code site} said it holds. */
    long latestOf(String site) {
        return peerLatest.getOrDefault(site, -1L);
    }

    /** The validation slices {@code site} announced (what it may score over). */
    int validationSizeOf(String site) {
        return site.equals(self) ? validationSize : validationSizes.getOrDefault(site, 0);
    }

    /** The sites this one refused, with why. */
    Map<String, String> refused() {
        return new TreeMap<>(refusedPeers);
    }

    /** What was refused, for a message that gives up. */
    String refusedSummary() {
        return (refusedPeers.isEmpty() ? "" : "; this site refused " + refusedPeers)
                + (refusedBy.isEmpty() ? "" : "; refused by " + refusedBy.keySet() + ": " + refusedBy.values());
    }

    private static String abbreviate(String s) {
        return s == null ? "(not given)" : s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
