package io.samtune.distributed.federated;

import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * How a site reaches the others: the federation's own channel of the group ({@value #CHANNEL}),
 * every message sealed ({@link MessageSeal}), the bytes sent and received counted per round, and
 * one thread for replies, so that no listener call waits on a send.
 */
final class SiteLink implements AutoCloseable {

    /** The group channel the federation's messages travel on. */
    static final String CHANNEL = "federation";

    private final Cluster cluster;
    private final Cluster.Channel channel;
    private final MessageSeal seal;
    private final Consumer<String> console;
    private final Map<Long, Long> sent = new HashMap<>();
    private final Map<Long, Long> received = new HashMap<>();
    /** What this site sends, changed as a test's altered member would change it (unchanged by default). */
    private volatile BiFunction<String, Messages.Message, List<Messages.Message>> alter;
    private final ExecutorService replies = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "federation-replies");
        t.setDaemon(true);
        return t;
    });

    SiteLink(Cluster cluster, MessageSeal seal, Consumer<String> console) {
        this.cluster = cluster;
        this.channel = cluster.channel(CHANNEL);
        this.seal = seal;
        this.console = console;
    }

    /** This site's name in the group. */
    String self() {
        return cluster.self();
    }

    /** The members present now. */
    List<String> members() {
        return cluster.members();
    }

    /** The seal of this site's messages. */
    MessageSeal seal() {
        return seal;
    }

    /** Hears the federation's messages and the group's membership. */
    void listen(Cluster.Listener listener) {
        channel.setListener(listener);
    }

    /**
     * Sends {@code m} to every other site.
     *
     * @throws FederationException if it cannot be sent
     */
    void say(long round, Messages.Message m) {
        if (alter != null) { // an altered member: what it says may differ for each site
            for (String to : cluster.members()) {
                if (!to.equals(cluster.self())) {
                    send(round, to, m);
                }
            }
            return;
        }
        sendSealed(round, seal.seal(m));
    }

    /**
     * Makes this site an altered member, for tests of what honest sites believe: every message it
     * is about to send to a site (what it says to all, to each in turn) is replaced by what
     * {@code alter} returns.
     */
    void alter(BiFunction<String, Messages.Message, List<Messages.Message>> alter) {
        this.alter = alter;
    }

    private void sendSealed(long round, byte[] sealed) {
        try {
            channel.send(null, sealed);
        } catch (ClusterException e) {
            throw new FederationException(e.getMessage(), e);
        }
        count(sent, round, (long) sealed.length * Math.max(0, cluster.members().size() - 1));
    }

    /** Sends {@code m} to one site; a failure is said on the console (the site left). */
    void send(long round, String to, Messages.Message m) {
        for (Messages.Message one : alter == null ? List.of(m) : alter.apply(to, m)) {
            byte[] sealed = seal.seal(one);
            try {
                channel.send(to, sealed);
                count(sent, round, sealed.length);
            } catch (ClusterException e) {
                console.accept("could not send to " + to + ": " + e.getMessage());
            }
        }
    }

    /** Sends {@code m} to one site from the replies thread. */
    void sendLater(String to, Messages.Message m) {
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

    /** Counts bytes received for {@code round}. */
    void received(long round, long bytes) {
        count(received, round, bytes);
    }

    /** Bytes this site sent for {@code round}. */
    long sent(long round) {
        return total(sent, round);
    }

    /** Bytes this site received for {@code round}. */
    long received(long round) {
        return total(received, round);
    }

    private void count(Map<Long, Long> counts, long round, long bytes) {
        synchronized (counts) {
            counts.merge(round, bytes, Long::sum);
        }
    }

    private static long total(Map<Long, Long> counts, long round) {
        synchronized (counts) {
            return counts.getOrDefault(round, 0L);
        }
    }

    /** Answers what is queued (a few seconds at most), then leaves the group. */
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
