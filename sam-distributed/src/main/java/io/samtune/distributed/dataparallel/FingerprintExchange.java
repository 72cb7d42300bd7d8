package io.samtune.distributed.dataparallel;

import io.samtune.cluster.Cluster;
import io.samtune.cluster.ClusterException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The workers' proof that they run one job: each sends its {@link JobFingerprint} to the group (again
 * to every member that joins, and to any member that asks), and compares every fingerprint it
 * receives with its own. The first difference stops this worker with one line naming the other
 * worker and the setting; the other worker stops the same way on receiving this one's.
 */
final class FingerprintExchange implements Cluster.Listener {

    private static final byte FINGERPRINT = 1;
    private static final byte ASK = 2;
    private static final long ASK_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The channel the exchange speaks on, apart from any other protocol of the group. */
    static final String CHANNEL = "job-fingerprint";

    private final Cluster cluster;
    private final Cluster.Channel channel;
    private final JobFingerprint mine;
    private final byte[] message;
    private final Map<String, JobFingerprint> received = new TreeMap<>();
    private String mismatch;
    /** The worker whose fingerprint differs. */
    private String mismatched;
    /** How long a worker that found a difference stays, so that the other hears its fingerprint too. */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(3);

    FingerprintExchange(Cluster cluster, JobFingerprint mine) {
        this.cluster = cluster;
        this.channel = cluster.channel(CHANNEL);
        this.mine = mine;
        byte[] json = mine.toJson().getBytes(StandardCharsets.UTF_8);
        this.message = new byte[json.length + 1];
        message[0] = FINGERPRINT;
        System.arraycopy(json, 0, message, 1, json.length);
    }

    /** Listens on its channel and sends this worker's fingerprint to every member. */
    void announce() {
        channel.setListener(this);
        send(null, message);
    }

    private void send(String to, byte[] payload) {
        try {
            channel.send(to, payload);
        } catch (ClusterException e) {
            // a member that has just left; asked again while waiting
        }
    }

    @Override
    public void onMessage(String from, byte[] payload) {
        if (payload.length == 0) {
            return;
        }
        if (payload[0] == ASK) {
            send(from, message);
            return;
        }
        if (payload[0] != FINGERPRINT) {
            return;
        }
        String problem;
        try {
            JobFingerprint theirs = JobFingerprint.fromJson(new String(payload, 1, payload.length - 1,
                    StandardCharsets.UTF_8));
            List<String> differences = mine.differences(theirs);
            problem = differences.isEmpty() ? null : "worker " + from + " does not run the same job as this worker ("
                    + cluster.self() + "): " + String.join("; ", differences.subList(0, Math.min(3, differences.size())))
                    + (differences.size() > 3 ? "; and " + (differences.size() - 3) + " more" : "")
                    + ". Start every worker with the same options, data and checkpoint (nothing was trained)";
            synchronized (this) {
                received.put(from, theirs);
            }
        } catch (IllegalArgumentException e) {
            problem = "worker " + from + " sent a fingerprint this worker cannot read (" + e.getMessage()
                    + "); run the same samtune version on every worker";
        }
        synchronized (this) {
            if (problem != null && mismatch == null) {
                mismatch = problem;
                mismatched = from;
            }
            notifyAll();
        }
    }

    @Override
    public void onMembers(List<String> members) {
        announce(); // a member that joined has not heard it yet
    }

    /**
     * Sends this worker's fingerprint to {@code other} and stays until it has left (at most a few
     * seconds), so that it can name the difference too.
     */
    private synchronized void lingerFor(String other) {
        send(other, message);
        long until = System.nanoTime() + LINGER_NANOS;
        try {
            while (cluster.members().contains(other) && until - System.nanoTime() > 0) {
                wait(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until every one of {@code expected} is present and has sent a fingerprint equal to this
     * worker's, asking the silent ones again every second.
     *
     * @throws IOException naming the worker and setting that differ, or who is missing after {@code timeout}
     */
    void await(List<String> expected, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long askAt = System.nanoTime() + ASK_EVERY_NANOS;
        while (true) {
            List<String> silent = new ArrayList<>();
            synchronized (this) {
                if (mismatch != null) {
                    lingerFor(mismatched);
                    throw new IOException(mismatch);
                }
                for (String m : expected) {
                    if (!m.equals(cluster.self()) && !received.containsKey(m)) {
                        silent.add(m);
                    }
                }
            }
            List<String> present = cluster.members();
            if (silent.isEmpty() && present.containsAll(expected)) {
                return;
            }
            for (String m : silent) {
                if (cluster.departed().contains(m)) {
                    throw new IOException("worker " + m + " left before the workers compared their settings; see its"
                            + " output for why, then start every worker again");
                }
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                cluster.awaitMembers(expected.size(), Duration.ofMillis(1)); // names who is missing, if any
                throw new IOException("no settings from " + silent + " within " + timeout.toSeconds() + " s (present: "
                        + present + "); are they running another samtune version?");
            }
            if (now - askAt >= 0) {
                for (String m : silent) {
                    if (present.contains(m)) {
                        send(m, new byte[] {ASK});
                    }
                }
                askAt = now + ASK_EVERY_NANOS;
            }
            synchronized (this) {
                try {
                    wait(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while the workers compared their settings", e);
                }
            }
        }
    }
}
