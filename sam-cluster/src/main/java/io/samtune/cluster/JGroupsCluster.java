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
import io.samtune.cluster.collective.AllReduce;
import io.samtune.cluster.collective.PeerLink;
import io.samtune.cluster.collective.ReduceScatterAllGather;
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
import org.jgroups.protocols.TP;
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
 * the {@link ReduceScatterAllGather} all-reduce over unicast frames.
 */
public final class JGroupsCluster implements Cluster, Receiver {

    private final ClusterConfig config;
    private final JChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<Address, String> names = new HashMap<>();
    private List<String> members = List.of();
    /** The members every round expects: those present when {@link #awaitMembers} succeeded. */
    private List<String> world;
    private final List<String> left = new ArrayList<>();
    /** The channels, by name: each its listener and the messages that came before it. */
    private final Map<String, NamedChannel> channels = new java.util.concurrent.ConcurrentHashMap<>();

    /** A message kept until a listener is set. */
    private record Early(String from, byte[] payload) {
    }
    private static final int MAX_EARLY = 256;
    /** The first byte of every message: a payload for the listener, or a frame of the collective. */
    private static final byte PAYLOAD = 1;
    private static final byte COLLECTIVE = 2;
    private final ReduceScatterAllGather collective;
    private static final String NAME_KEY = "samtune.member";
    /** JGroups' defaults: a bundle of 64 000 bytes, fragments of 60 000. */
    private static final int DEFAULT_BUNDLE_SIZE = 64_000;
    private static final int DEFAULT_FRAG_SIZE = 60_000;
    /** How long an accepted connection may take to complete its TLS handshake. */
    private static final long HANDSHAKE_DEADLINE_MILLIS = 3000;

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
        this.collective = new ReduceScatterAllGather(new Link(), config.segmentValues());
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
        // an all-reduce segment travels whole: fragments and bundles are larger than a segment's frame
        int frame = 4 * c.segmentValues() + 1024;
        org.jgroups.protocols.Bundler bundler = TP.createBundler(tcp.getBundlerType(), TCP.class);
        bundler.setMaxSize(Math.max(DEFAULT_BUNDLE_SIZE, frame + 64 * 1024));
        tcp.setBundler(bundler);
        tcp.setValue("bind_addr", InetAddress.getByName(c.bindHost()));
        tcp.setValue("bind_port", c.bindPort());
        tcp.setValue("port_range", c.portRange());
        if (c.tls() != null) {
            // TLS's own factory, installed here (not through tls().enabled(), which would replace it at start)
            // behind a guard that completes handshakes apart from the one acceptor thread, within a deadline
            org.jgroups.util.SocketFactory tls = tcp.tls().setClientAuth(org.jgroups.util.TLSClientAuth.NEED)
                    .setProtocols(new String[] {"TLSv1.3"}).setSSLContext(c.tls()).createSocketFactory();
            tcp.setSocketFactory(new HandshakeGuard(tls, HANDSHAKE_DEADLINE_MILLIS));
            tcp.setValue("peer_addr_read_timeout", 1000);
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
        // each join attempt waits up to join_timeout for discovery and again for the coordinator's answer:
        // the attempts together stay within the join timeout, whatever the failure timeout
        long attempt = Math.max(250L, Math.min(Math.max(500L, t / 3), c.joinTimeoutMillis() / 4));
        int attempts = (int) Math.max(1, Math.min(10, c.joinTimeoutMillis() / (2 * attempt))); // 10: JGroups' own
        return new Protocol[] {tcp, discovery, new MERGE3().setValue("min_interval", 1000L).setValue("max_interval", 3000L),
            new FD_ALL3().setTimeout(t).setInterval(Math.max(250, t / 4)),
            new VERIFY_SUSPECT2().setValue("timeout", Math.max(500L, t / 3)), new NAKACK2().useMcastXmit(false),
            new UNICAST3(), new STABLE(),
            new GMS().setJoinTimeout(attempt).setMaxJoinAttempts(attempts).setValue("print_local_addr", false), new UFC(), new MFC(),
            new FRAG4().setFragSize(Math.max(DEFAULT_FRAG_SIZE, frame))};
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
            // a member back in the view (subgroups that formed apart and merged, a suspicion withdrawn) has not left
            left.removeAll(now);
            members = List.copyOf(now);
            names.clear();
            names.putAll(named);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (NamedChannel c : channels.values()) {
            Listener l = c.listener;
            if (l != null) {
                l.onMembers(members);
            }
        }
    }

    @Override
    public Channel channel(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_CHANNEL_NAME) {
            throw new IllegalArgumentException("channel name '" + name + "' is longer than " + MAX_CHANNEL_NAME + " bytes");
        }
        NamedChannel c = channelOrNull(name);
        if (c == null) {
            throw new IllegalArgumentException("member " + config.member() + " holds " + MAX_CHANNELS + " channels"
                    + " already; no more can be opened");
        }
        return c;
    }

    /** The channel of a name, made when absent while fewer than {@link #MAX_CHANNELS} exist; else null. */
    private NamedChannel channelOrNull(String name) {
        NamedChannel c = channels.get(name);
        if (c != null) {
            return c;
        }
        synchronized (channels) {
            if (channels.size() >= MAX_CHANNELS && !channels.containsKey(name)) {
                return null;
            }
            return channels.computeIfAbsent(name, NamedChannel::new);
        }
    }

    /** One channel: frames are {@code PAYLOAD, name length, name, payload}. */
    private final class NamedChannel implements Channel {
        private final String name;
        private final byte[] nameBytes;
        private volatile Listener listener;
        /** Messages that came before a listener was set (a member's first words can precede it). */
        private final List<Early> early = new ArrayList<>();

        NamedChannel(String name) {
            this.name = name;
            this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void setListener(Listener l) {
            List<Early> pending;
            synchronized (early) {
                this.listener = l;
                pending = List.copyOf(early);
                early.clear();
            }
            for (Early m : pending) {
                l.onMessage(m.from(), m.payload());
            }
        }

        /** Hands a message to the listener, or keeps it (bounded) until there is one. */
        void deliver(String from, byte[] payload) {
            Listener l;
            synchronized (early) {
                l = listener;
                if (l == null) {
                    if (early.size() < MAX_EARLY) {
                        early.add(new Early(from, payload));
                    }
                    return;
                }
            }
            l.onMessage(from, payload);
        }

        @Override
        public void send(String to, byte[] payload) throws ClusterException {
            byte[] framed = new byte[payload.length + 2 + nameBytes.length];
            framed[0] = PAYLOAD;
            framed[1] = (byte) nameBytes.length;
            System.arraycopy(nameBytes, 0, framed, 2, nameBytes.length);
            System.arraycopy(payload, 0, framed, 2 + nameBytes.length, payload.length);
            sendFrame(to, framed);
        }

        @Override
        public String toString() {
            return "Channel[" + (name.isEmpty() ? "default" : name) + "]";
        }
    }

    private void sendFrame(String to, byte[] framed) throws ClusterException {
        // a name two members claim goes to both: the one that is not who it claims cannot use what it gets
        // (it cannot sign as that name), and the one that is must not miss it
        List<Address> dests = to == null ? java.util.Collections.singletonList(null) : addressesOf(to);
        for (Address dest : dests) {
            try {
                channel.send(new BytesMessage(dest, framed));
            } catch (Exception e) {
                throw new ClusterException("member " + config.member() + " cannot send to " + (to == null ? "the group"
                        : to) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Every address that carries the name {@code to} (one, unless a member claims another's name). */
    private List<Address> addressesOf(String to) throws ClusterException {
        List<Address> out = new ArrayList<>();
        lock.lock();
        try {
            for (Map.Entry<Address, String> e : names.entrySet()) {
                if (e.getValue().equals(to)) {
                    out.add(e.getKey());
                }
            }
        } finally {
            lock.unlock();
        }
        if (out.isEmpty()) {
            throw new ClusterException("member " + to + " is not in group " + config.group() + " (present: " + members()
                    + ")");
        }
        return out;
    }

    /** The address of member {@code to}. */
    private Address addressOf(String to) throws ClusterException {
        lock.lock();
        try {
            for (Map.Entry<Address, String> e : names.entrySet()) {
                if (e.getValue().equals(to)) {
                    return e.getKey();
                }
            }
        } finally {
            lock.unlock();
        }
        throw new ClusterException("member " + to + " is not in group " + config.group() + " (present: " + members()
                + ")");
    }

    @Override
    public void receive(Message msg) {
        if (msg.getLength() == 0) {
            return;
        }
        byte kind = msg.getArray()[msg.getOffset()];
        if (kind == COLLECTIVE) {
            byte[] frame = msg.getOffset() == 0 && msg.getLength() == msg.getArray().length ? msg.getArray()
                    : java.util.Arrays.copyOfRange(msg.getArray(), msg.getOffset(), msg.getOffset() + msg.getLength());
            collective.receive(nameOf(msg.getSrc()), frame);
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(msg.getArray(), msg.getOffset(), msg.getLength());
        if (b.get() == PAYLOAD && b.hasRemaining()) {
            int nameLength = b.get() & 0xff;
            if (nameLength > MAX_CHANNEL_NAME || nameLength > b.remaining()) {
                return; // not a frame this layer writes
            }
            byte[] name = new byte[nameLength];
            b.get(name);
            byte[] payload = new byte[b.remaining()];
            b.get(payload);
            NamedChannel c = channelOrNull(new String(name, StandardCharsets.UTF_8));
            if (c != null) {
                c.deliver(nameOf(msg.getSrc()), payload);
            }
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
                            + " others, or check the rendezvous folder or peers" + otherGroups());
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

    /** The other groups that meet in this member's rendezvous folder, for a message ("" if none). */
    private String otherGroups() {
        if (config.rendezvous() == null) {
            return "";
        }
        List<String> others = new ArrayList<>();
        try (var entries = java.nio.file.Files.list(config.rendezvous())) {
            entries.filter(java.nio.file.Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(config.group())).sorted().limit(5).forEach(others::add);
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
        return others.isEmpty() ? "" : "; other groups meet in " + config.rendezvous() + ": " + others
                + " (are the members started with different settings, such as another --out?)";
    }

    @Override
    public AllReduce allReduce() {
        return collective;
    }

    /** For tests: the next {@code n} all-reduce frames that reach this member for {@code round} are dropped, as if lost. */
    void dropContributions(long round, int n) {
        collective.dropFrames(round, n);
    }

    /** The collective's view of the group: the world, departures and unicast frames that skip flow control. */
    private final class Link implements PeerLink {
        @Override
        public String self() {
            return config.member();
        }

        @Override
        public List<String> world() {
            lock.lock();
            try {
                return world != null ? world : members;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean hasLeft(String member) {
            lock.lock();
            try {
                return left.contains(member);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int headroom() {
            return 1;
        }

        @Override
        public void send(String to, byte[] frame) throws ClusterException {
            Address dest = addressOf(to);
            frame[0] = COLLECTIVE;
            try {
                // bulk frames: sent at once, delivered as they come (segments carry their place), no credits to wait for
                channel.send(new BytesMessage(dest, frame).setFlag(Message.Flag.OOB, Message.Flag.DONT_BUNDLE,
                        Message.Flag.NO_FC));
            } catch (Exception e) {
                throw new ClusterException("member " + config.member() + " cannot send to " + to + ": "
                        + e.getMessage(), e);
            }
        }
    }

    @Override
    public void close() {
        collective.close();
        channel.close();
    }

    @Override
    public String toString() {
        return "JGroupsCluster[" + config.member() + " in " + config.group() + ", " + members().size() + " members]";
    }
}
