package io.samtune.cluster;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FILE_PING;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

/**
 * A {@link Cluster} on JGroups: a TCP stack (never TCP_NIO2 or FD_SOCK2), discovery through a
 * shared folder (FILE_PING) or a host list (TCPPING), failure detection by heartbeats (FD_ALL3), and
 * all-reduce rounds as multicasts of (round, values) that each member sums in name order (sent again
 * while a member waits, so that one lost while views change does not stall the round).
 */
public final class JGroupsCluster implements Cluster, Receiver {

    private final ClusterConfig config;
    private final JChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Contributions by round, then by member name. */
    private final Map<Long, Map<String, double[]>> rounds = new HashMap<>();
    private final Map<Address, String> names = new HashMap<>();
    private List<String> members = List.of();
    /** The members every round expects: those present when {@link #awaitMembers} succeeded. */
    private List<String> world;
    private final List<String> left = new ArrayList<>();
    /** The last round this member completed; contributions to it or earlier ones are late copies. */
    private long completed = Long.MIN_VALUE;
    /** This member's contribution to that round, sent again while it waits in the next one. */
    private byte[] lastContribution;
    /** For tests: by round, how many more incoming contributions to it to drop, as if lost. */
    private final Map<Long, Integer> drops = new HashMap<>();
    private volatile Listener listener;
    /** The first byte of every message: an all-reduce contribution, or a payload for the listener. */
    private static final byte REDUCE = 0;
    private static final byte PAYLOAD = 1;
    /** How long a member waits in a round before sending its contributions again, doubling up to the most. */
    private static final long RESEND_FIRST_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long RESEND_MAX_NANOS = TimeUnit.SECONDS.toNanos(16);
    private static final String NAME_KEY = "samtune.member";

    /** The member name an address carries (its logical name when it carries none). */
    private static String nameOf(Address a) {
        if (a instanceof org.jgroups.util.ExtendedUUID e) {
            byte[] n = e.get(NAME_KEY);
            if (n != null) {
                return new String(n, StandardCharsets.UTF_8);
            }
        }
        return String.valueOf(a);
    }

    private JGroupsCluster(ClusterConfig config, JChannel channel) {
        this.config = config;
        this.channel = channel;
    }

    /**
     * Joins (or founds) the group.
     *
     * @throws ClusterException if the channel cannot start (a port in use, an unreachable folder)
     */
    public static JGroupsCluster join(ClusterConfig config) throws ClusterException {
        JChannel ch = null;
        try {
            ch = new JChannel(stack(config));
            ch.setName(config.member());
            // the name travels inside the address, so views and messages carry it even after a merge of subgroups
            byte[] name = config.member().getBytes(StandardCharsets.UTF_8);
            ch.addAddressGenerator(() -> org.jgroups.util.ExtendedUUID.randomUUID(config.member()).put(NAME_KEY, name));
            ch.setDiscardOwnMessages(true);
            JGroupsCluster c = new JGroupsCluster(config, ch);
            ch.setReceiver(c);
            ch.connect(config.group());
            return c;
        } catch (Exception e) {
            if (ch != null) {
                ch.close();
            }
            throw new ClusterException("member " + config.member() + " cannot join group " + config.group() + " on "
                    + config.bindHost() + ":" + config.bindPort() + ": " + e.getMessage(), e);
        }
    }

    private static Protocol[] stack(ClusterConfig c) throws Exception {
        TCP tcp = new TCP();
        tcp.setValue("bind_addr", InetAddress.getByName(c.bindHost()));
        tcp.setValue("bind_port", c.bindPort());
        tcp.setValue("port_range", c.portRange());
        if (c.tls() != null) {
            tcp.tls().enabled(true).setClientAuth(org.jgroups.util.TLSClientAuth.NEED)
                    .setProtocols(new String[] {"TLSv1.3"}).setSSLContext(c.tls());
        }
        Protocol discovery;
        if (c.rendezvous() != null) {
            java.nio.file.Files.createDirectories(c.rendezvous());
            discovery = new FILE_PING().setLocation(c.rendezvous().toAbsolutePath().toString());
        } else {
            TCPPING ping = new TCPPING();
            ping.setInitialHosts(parsePeers(c.peers()));
            ping.setValue("port_range", 0);
            discovery = ping;
        }
        long t = c.failureTimeoutMillis();
        return new Protocol[] {tcp, discovery, new MERGE3().setValue("min_interval", 1000L).setValue("max_interval", 3000L),
            new FD_ALL3().setTimeout(t).setInterval(Math.max(250, t / 4)),
            new VERIFY_SUSPECT2().setValue("timeout", Math.max(500L, t / 3)), new NAKACK2().useMcastXmit(false),
            new UNICAST3(), new STABLE(),
            new GMS().setJoinTimeout(Math.max(500L, t / 3)).setValue("print_local_addr", false), new UFC(), new MFC(),
            new FRAG4()};
    }

    private static List<java.net.InetSocketAddress> parsePeers(List<String> peers) {
        List<java.net.InetSocketAddress> out = new ArrayList<>();
        for (String p : peers) {
            HostPort hp = HostPort.parse(p, "peer");
            out.add(new java.net.InetSocketAddress(hp.host(), hp.port()));
        }
        return out;
    }

    @Override
    public String self() {
        return config.member();
    }

    @Override
    public List<String> members() {
        lock.lock();
        try {
            return members;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> departed() {
        lock.lock();
        try {
            return List.copyOf(left);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void viewAccepted(View view) {
        lock.lock();
        try {
            List<String> now = new ArrayList<>();
            Map<Address, String> named = new HashMap<>();
            for (Address a : view.getMembers()) {
                String n = nameOf(a);
                now.add(n);
                named.put(a, n);
            }
            now.sort(null);
            for (String m : members) {
                if (!now.contains(m) && !left.contains(m)) {
                    left.add(m);
                }
            }
            members = List.copyOf(now);
            names.clear();
            names.putAll(named);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        Listener l = listener;
        if (l != null) {
            l.onMembers(members);
        }
    }

    @Override
    public void setListener(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void send(String to, byte[] payload) throws ClusterException {
        Address dest = null;
        if (to != null) {
            lock.lock();
            try {
                for (Map.Entry<Address, String> e : names.entrySet()) {
                    if (e.getValue().equals(to)) {
                        dest = e.getKey();
                    }
                }
            } finally {
                lock.unlock();
            }
            if (dest == null) {
                throw new ClusterException("member " + to + " is not in group " + config.group() + " (present: "
                        + members() + ")");
            }
        }
        byte[] framed = new byte[payload.length + 1];
        framed[0] = PAYLOAD;
        System.arraycopy(payload, 0, framed, 1, payload.length);
        try {
            channel.send(new BytesMessage(dest, framed));
        } catch (Exception e) {
            throw new ClusterException("member " + config.member() + " cannot send to " + (to == null ? "the group" : to)
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void receive(Message msg) {
        ByteBuffer b = ByteBuffer.wrap(msg.getArray(), msg.getOffset(), msg.getLength());
        if (b.get() == PAYLOAD) {
            Listener l = listener;
            if (l != null) {
                byte[] payload = new byte[b.remaining()];
                b.get(payload);
                l.onMessage(nameOf(msg.getSrc()), payload);
            }
            return;
        }
        long round = b.getLong();
        int nameLength = b.getInt();
        byte[] name = new byte[nameLength];
        b.get(name);
        double[] values = new double[b.getInt()];
        b.asDoubleBuffer().get(values);
        String from = new String(name, StandardCharsets.UTF_8);
        lock.lock();
        try {
            if (round <= completed) {
                return;
            }
            int drop = drops.getOrDefault(round, 0);
            if (drop > 0 && !from.equals(config.member())) {
                drops.put(round, drop - 1);
                return;
            }
            rounds.computeIfAbsent(round, r -> new TreeMap<>()).put(from, values);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void awaitMembers(int count, Duration timeout) throws ClusterException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (members.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ClusterException("group " + config.group() + " has " + members.size() + " of " + count
                            + " members after " + timeout.toSeconds() + " s (present: " + members + "); start the"
                            + " others, or check the rendezvous folder or peers");
                }
                changed.await(left, TimeUnit.NANOSECONDS);
            }
            world = members;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted while waiting for the group", e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public double[] allReduceSum(long round, double[] values, Duration timeout) throws ClusterException {
        List<String> expected;
        lock.lock();
        try {
            expected = world != null ? world : members;
        } finally {
            lock.unlock();
        }
        byte[] name = config.member().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 + name.length + 4 + 8 * values.length);
        b.put(REDUCE).putLong(round).putInt(name.length).put(name).putInt(values.length);
        b.asDoubleBuffer().put(values);
        byte[] contribution = b.array();
        send(round, contribution);
        long deadline = System.nanoTime() + timeout.toNanos();
        long resendAfter = RESEND_FIRST_NANOS;
        long resendAt = System.nanoTime() + resendAfter;
        lock.lock();
        try {
            Map<String, double[]> got = rounds.computeIfAbsent(round, r -> new TreeMap<>());
            got.put(config.member(), values);
            while (true) {
                List<String> missing = new ArrayList<>();
                for (String m : expected) {
                    if (!got.containsKey(m)) {
                        missing.add(m);
                    }
                }
                if (missing.isEmpty()) {
                    break;
                }
                for (String m : missing) {
                    if (left.contains(m)) {
                        throw new ClusterException("member " + m + " left group " + config.group() + " before round "
                                + round + "; the others stop here (restart every member with --resume)");
                    }
                }
                long now = System.nanoTime();
                if (deadline - now <= 0) {
                    throw new ClusterException("no contribution from " + missing + " to round " + round + " within "
                            + timeout.toSeconds() + " s; the others stop here");
                }
                if (resendAt - now <= 0) {
                    // A contribution can be lost while views change (one sent just before the receiver
                    // saw its sender join): send this round's again, and the previous round's, which a
                    // member still waiting there needs; receivers drop copies of rounds they finished.
                    byte[] previous = lastContribution;
                    long previousRound = completed;
                    lock.unlock();
                    try {
                        send(round, contribution);
                        if (previous != null) {
                            send(previousRound, previous);
                        }
                    } finally {
                        lock.lock();
                    }
                    resendAfter = Math.min(2 * resendAfter, RESEND_MAX_NANOS);
                    resendAt = System.nanoTime() + resendAfter;
                    continue;
                }
                changed.await(Math.min(deadline - now, resendAt - now), TimeUnit.NANOSECONDS);
            }
            double[] sum = new double[values.length];
            for (String m : expected) { // name order: the same additions, so the same bits, everywhere
                double[] v = got.get(m);
                if (v.length != sum.length) {
                    throw new ClusterException("member " + m + " sent " + v.length + " values to round " + round
                            + ", this member " + sum.length + "; the members run different models");
                }
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += v[i];
                }
            }
            rounds.remove(round);
            completed = round;
            lastContribution = contribution;
            return sum;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted in round " + round, e);
        } finally {
            lock.unlock();
        }
    }

    private void send(long round, byte[] contribution) throws ClusterException {
        try {
            channel.send(new BytesMessage(null, contribution));
        } catch (Exception e) {
            throw new ClusterException("member " + config.member() + " cannot send round " + round + ": " + e.getMessage(),
                    e);
        }
    }

    /** For tests: the next {@code n} contributions from other members to {@code round} are dropped, as if lost. */
    void dropContributions(long round, int n) {
        lock.lock();
        try {
            drops.put(round, n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        channel.close();
    }

    @Override
    public String toString() {
        return "JGroupsCluster[" + config.member() + " in " + config.group() + ", " + members().size() + " members]";
    }
}
