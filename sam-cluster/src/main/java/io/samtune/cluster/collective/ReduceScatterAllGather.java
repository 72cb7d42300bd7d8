package io.samtune.cluster.collective;

import io.samtune.cluster.ClusterException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bandwidth-optimal {@link AllReduce}: reduce-scatter, then all-gather, over point-to-point
 * frames. The vector is cut by {@link ChunkLayout}; member {@code j} receives every other member's
 * segments of chunk {@code j}, sums them in member order (in double, rounded to float32 once) and
 * sends each reduced segment, unchanged, to every other member. Each member therefore sends and
 * receives {@code 2 (N-1)/N} of the vector, whatever the number of members.
 *
 * <p>The transfer is pipelined: a sender thread writes this member's segments while the caller's
 * thread sums the segments that have arrived, and a reduced segment is sent on as soon as it is
 * summed. A member that waits more than 2 s for a segment (doubling to 16 s) asks its sender for it
 * again; a member answers from the round in progress or the one before, so a frame lost while views
 * change does not stall the round.
 */
public final class ReduceScatterAllGather implements AllReduce {

    /** A member's values for the receiver's chunk. */
    static final byte CONTRIBUTION = 1;
    /** An owner's summed segment of its chunk. */
    static final byte REDUCED = 2;
    /** A request to send a contribution or reduced segment again. */
    static final byte REQUEST = 3;

    /** kind, round, vector length, chunk, segment. */
    private static final int HEADER = 1 + 8 + 4 + 4 + 4;
    private static final long RESEND_FIRST_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long RESEND_MAX_NANOS = TimeUnit.SECONDS.toNanos(16);
    /** Rounds held at once: the one in progress, the next (a faster member's), and room for late copies. */
    private static final int MAX_PENDING_ROUNDS = 4;

    private final PeerLink link;
    private final int segmentValues;
    private final ExecutorService sender;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    /** Rounds not yet completed here, with the frames that arrived for them. */
    private final TreeMap<Long, Round> rounds = new TreeMap<>();
    /** The last completed round (answers requests for its reduced segments), or null. */
    private Round previous;
    private long completed = Long.MIN_VALUE;
    private ClusterException sendFailure;
    /** For tests: by round, how many more incoming data frames to drop, as if lost. */
    private final Map<Long, Integer> drops = new HashMap<>();
    private volatile boolean closed;

    /** What a round holds on this member. */
    private static final class Round {
        final long number;
        final Map<Key, byte[]> frames = new HashMap<>();
        /** Set while this member is in the round. */
        float[] input;
        ChunkLayout layout;
        List<String> world;
        int self = -1;
        /** This member's reduced segments, as sent (kept to answer requests). */
        byte[][] reducedFrames;

        Round(long number) {
            this.number = number;
        }
    }

    /** A data frame's identity: its kind, sender, chunk and segment. */
    private record Key(byte kind, String from, int chunk, int segment) {
    }

    /**
     * @param link the group's point-to-point frames; hand incoming frames to {@link #receive}
     */
    public ReduceScatterAllGather(PeerLink link) {
        this(link, ChunkLayout.DEFAULT_SEGMENT_VALUES);
    }

    /**
     * @param segmentValues the most float32 values per frame
     */
    public ReduceScatterAllGather(PeerLink link, int segmentValues) {
        if (segmentValues < 1) {
            throw new IllegalArgumentException("segmentValues must be >= 1, got " + segmentValues);
        }
        this.link = link;
        this.segmentValues = segmentValues;
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "samtune-allreduce-" + link.self());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public float[] sum(long round, float[] values, Duration timeout) throws ClusterException {
        List<String> world = link.world();
        int n = world.size();
        int self = world.indexOf(link.self());
        if (self < 0) {
            throw new IllegalStateException(link.self() + " is not among the members " + world);
        }
        if (n == 1) {
            return values.clone();
        }
        ChunkLayout layout = new ChunkLayout(values.length, n, segmentValues);
        long deadline = System.nanoTime() + timeout.toNanos();
        Round r;
        lock.lock();
        try {
            if (round <= completed) {
                throw new IllegalArgumentException("round " + round + " follows round " + completed
                        + "; rounds must increase");
            }
            r = rounds.computeIfAbsent(round, Round::new);
            r.input = values;
            r.layout = layout;
            r.world = world;
            r.self = self;
            r.reducedFrames = new byte[layout.segments(self)][];
        } finally {
            lock.unlock();
        }
        try {
            // each member starts with the next one's chunk, so that no member is everyone's first
            for (int k = 0; k < layout.maxSegments(); k++) {
                for (int d = 1; d < n; d++) {
                    int owner = (self + d) % n;
                    if (k < layout.segments(owner)) {
                        int segment = k;
                        queue(() -> sendContribution(r, owner, segment));
                    }
                }
            }
            float[] result = new float[values.length];
            reduceOwnChunk(r, result, deadline, timeout);
            for (int d = 1; d < n; d++) {
                int owner = (self + d) % n;
                for (int k = 0; k < layout.segments(owner); k++) {
                    byte[] frame = await(r, new Key(REDUCED, world.get(owner), owner, k), deadline, timeout);
                    payload(frame, layout.segmentEnd(owner, k) - layout.segmentStart(owner, k))
                            .get(result, layout.segmentStart(owner, k), layout.segmentEnd(owner, k)
                                    - layout.segmentStart(owner, k));
                }
            }
            lock.lock();
            try {
                rounds.headMap(round, true).clear();
                r.input = null;
                r.frames.clear();
                previous = r;
                completed = round;
            } finally {
                lock.unlock();
            }
            return result;
        } catch (ClusterException | RuntimeException e) {
            // the round is lost; segments still queued go out, so that the others can name what failed
            lock.lock();
            try {
                rounds.remove(round, r);
            } finally {
                lock.unlock();
            }
            throw e;
        }
    }

    /** Sums this member's chunk, segment by segment, in member order, and sends each sum on at once. */
    private void reduceOwnChunk(Round r, float[] result, long deadline, Duration timeout) throws ClusterException {
        ChunkLayout layout = r.layout;
        int self = r.self;
        double[] acc = new double[Math.min(segmentValues, Math.max(1, layout.chunkEnd(self) - layout.chunkStart(self)))];
        float[] incoming = new float[acc.length];
        for (int k = 0; k < layout.segments(self); k++) {
            int start = layout.segmentStart(self, k);
            int size = layout.segmentEnd(self, k) - start;
            java.util.Arrays.fill(acc, 0, size, 0.0);
            for (int m = 0; m < r.world.size(); m++) {
                float[] from;
                int offset;
                if (m == self) {
                    from = r.input;
                    offset = start;
                } else {
                    byte[] frame = await(r, new Key(CONTRIBUTION, r.world.get(m), self, k), deadline, timeout);
                    payload(frame, size).get(incoming, 0, size);
                    from = incoming;
                    offset = 0;
                }
                for (int i = 0; i < size; i++) {
                    acc[i] += from[offset + i];
                }
            }
            byte[] frame = frame(REDUCED, r.number, layout.length(), self, k, size);
            FloatBuffer out = payload(frame, size);
            for (int i = 0; i < size; i++) {
                float s = (float) acc[i];
                result[start + i] = s;
                out.put(s);
            }
            lock.lock();
            try {
                r.reducedFrames[k] = frame;
            } finally {
                lock.unlock();
            }
            for (int d = 1; d < r.world.size(); d++) {
                String to = r.world.get((self + d) % r.world.size());
                queue(() -> send(to, frame));
            }
        }
    }

    /**
     * Waits for one frame of round {@code r}, asking its sender again after a while.
     *
     * @throws ClusterException naming the member if it left, sent another length, or sent nothing in time
     */
    private byte[] await(Round r, Key key, long deadline, Duration timeout) throws ClusterException {
        long resendAfter = RESEND_FIRST_NANOS;
        long resendAt = System.nanoTime() + resendAfter;
        lock.lock();
        try {
            while (true) {
                if (sendFailure != null) {
                    throw sendFailure;
                }
                if (closed) {
                    throw new ClusterException("member " + link.self() + " closed during round " + r.number);
                }
                byte[] frame = r.frames.get(key);
                if (frame != null) {
                    checkFrame(r, key, frame);
                    return frame;
                }
                for (String m : r.world) { // any member gone: the round cannot complete
                    if (link.hasLeft(m)) {
                        throw new ClusterException("member " + m + " left the group before round " + r.number
                                + " was summed; the others stop here (restart every member with --resume)");
                    }
                }
                long now = System.nanoTime();
                if (deadline - now <= 0) {
                    throw new ClusterException("no contribution from " + key.from() + " to round " + r.number
                            + " within " + timeout.toSeconds() + " s; the others stop here");
                }
                if (resendAt - now <= 0) {
                    byte[] request = new byte[link.headroom() + HEADER + 1];
                    ByteBuffer.wrap(request, link.headroom(), HEADER + 1).put(REQUEST).putLong(r.number)
                            .putInt(r.layout.length()).putInt(key.chunk()).putInt(key.segment()).put(key.kind());
                    byte[] ask = request;
                    queue(() -> send(key.from(), ask));
                    resendAfter = Math.min(2 * resendAfter, RESEND_MAX_NANOS);
                    resendAt = now + resendAfter;
                    continue;
                }
                arrived.await(Math.min(deadline - now, resendAt - now), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted in round " + r.number, e);
        } finally {
            lock.unlock();
        }
    }

    private void checkFrame(Round r, Key key, byte[] frame) throws ClusterException {
        int length = ByteBuffer.wrap(frame, link.headroom() + 9, 4).getInt();
        if (length != r.layout.length()) {
            throw new ClusterException("member " + key.from() + " sent a vector of " + length + " values to round "
                    + r.number + ", this member " + r.layout.length() + "; the members run different models");
        }
        int expected = key.kind() == REDUCED
                ? r.layout.segmentEnd(key.chunk(), key.segment()) - r.layout.segmentStart(key.chunk(), key.segment())
                : r.layout.segmentEnd(r.self, key.segment()) - r.layout.segmentStart(r.self, key.segment());
        if (frame.length != link.headroom() + HEADER + 4 * expected) {
            throw new ClusterException("member " + key.from() + " sent segment " + key.segment() + " of round "
                    + r.number + " with " + (frame.length - link.headroom() - HEADER) / 4 + " values, expected "
                    + expected + "; the members cut vectors differently (another samtune version?)");
        }
    }

    /**
     * Takes a frame from {@code from}; called on the link's threads, returns at once. Frames of
     * finished rounds and malformed frames are dropped.
     */
    public void receive(String from, byte[] frame) {
        int h = link.headroom();
        if (frame.length < h + HEADER) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(frame, h, frame.length - h);
        byte kind = b.get();
        long round = b.getLong();
        int length = b.getInt();
        int chunk = b.getInt();
        int segment = b.getInt();
        if (kind == REQUEST) {
            if (b.remaining() == 1) {
                answer(from, round, b.get(), chunk, segment);
            }
            return;
        }
        if ((kind != CONTRIBUTION && kind != REDUCED) || length < 0 || chunk < 0 || segment < 0) {
            return;
        }
        lock.lock();
        try {
            if (round <= completed) {
                return; // a late copy
            }
            Round r = rounds.get(round);
            if (r == null) {
                if (rounds.size() >= MAX_PENDING_ROUNDS) {
                    return;
                }
                r = new Round(round);
                rounds.put(round, r);
            }
            int drop = drops.getOrDefault(round, 0);
            if (drop > 0) {
                drops.put(round, drop - 1);
                return;
            }
            r.frames.put(new Key(kind, from, chunk, segment), frame);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Sends again what {@code to} asks for, if this member has it (the round in progress or the one before). */
    private void answer(String to, long round, byte kind, int chunk, int segment) {
        lock.lock();
        try {
            Round r = rounds.get(round);
            if (r == null && previous != null && previous.number == round) {
                r = previous;
            }
            if (r == null || r.layout == null) {
                return; // not there yet: it sends when it gets there
            }
            if (kind == REDUCED && chunk == r.self && segment >= 0 && segment < r.reducedFrames.length
                    && r.reducedFrames[segment] != null) {
                byte[] frame = r.reducedFrames[segment];
                queue(() -> send(to, frame));
            } else if (kind == CONTRIBUTION && r.input != null && chunk >= 0 && chunk < r.world.size()
                    && r.world.get(chunk).equals(to) && segment >= 0 && segment < r.layout.segments(chunk)) {
                Round current = r;
                queue(() -> sendContribution(current, chunk, segment));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sends this member's values of one segment of {@code owner}'s chunk to it (on the sender thread). */
    private void sendContribution(Round r, int owner, int segment) {
        byte[] frame;
        lock.lock();
        try {
            float[] input = r.input;
            if (input == null) {
                return; // the round is over here: the owner has it
            }
            int start = r.layout.segmentStart(owner, segment);
            int size = r.layout.segmentEnd(owner, segment) - start;
            frame = frame(CONTRIBUTION, r.number, r.layout.length(), owner, segment, size);
            payload(frame, size).put(input, start, size);
        } finally {
            lock.unlock();
        }
        send(r.world.get(owner), frame);
    }

    /** Runs {@code task} on the sender thread, unless this collective is closed. */
    private void queue(Runnable task) {
        try {
            sender.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (!closed) {
                throw e;
            }
        }
    }

    private void send(String to, byte[] frame) {
        if (closed) {
            return;
        }
        try {
            link.send(to, frame);
        } catch (ClusterException e) {
            lock.lock();
            try {
                if (sendFailure == null && !link.hasLeft(to)) {
                    sendFailure = e;
                }
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** A frame with its header written and room for {@code values} float32 values. */
    private byte[] frame(byte kind, long round, int length, int chunk, int segment, int values) {
        byte[] frame = new byte[link.headroom() + HEADER + 4 * values];
        ByteBuffer.wrap(frame, link.headroom(), HEADER).put(kind).putLong(round).putInt(length).putInt(chunk)
                .putInt(segment);
        return frame;
    }

    /** The values of a data frame (little-endian float32 after the header). */
    private FloatBuffer payload(byte[] frame, int values) {
        return ByteBuffer.wrap(frame, link.headroom() + HEADER, 4 * values).slice().order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
    }

    /** For tests: the next {@code n} data frames that reach this member for {@code round} are dropped, as if lost. */
    public void dropFrames(long round, int n) {
        lock.lock();
        try {
            drops.put(round, n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        sender.shutdownNow();
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "ReduceScatterAllGather[" + link.self() + ", segments of " + segmentValues + " values]";
    }
}
