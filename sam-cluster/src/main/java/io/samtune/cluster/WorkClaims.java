package io.samtune.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * A work queue over a shared folder: the members of a cluster share numbered items (a sweep's
 * trials), a member taking an item by creating its claim file first (atomically, holding the
 * member's name). An item whose claiming member has left the group (it died or was stopped) goes to
 * one live member, chosen by the item's number among the live members in name order. A holder this
 * member has never seen in the group is taken over only once the member has been in the group for
 * a settling time: until then the holder may be in a part of the group not merged with this one yet
 * (members starting together can found separate groups for a few seconds).
 */
public final class WorkClaims implements AutoCloseable {

    /** How long a member waits before it takes over items of holders it has never seen: {@value} s. */
    public static final int SETTLE_SECONDS = 15;

    private final Cluster cluster;
    private final Duration settle;
    private final Consumer<String> console;
    private final long joined = System.nanoTime();

    /**
     * @param cluster the members' group, joined (closed with this)
     * @param console told when an item of a member that left is taken over
     */
    public WorkClaims(Cluster cluster, Consumer<String> console) {
        this(cluster, Duration.ofSeconds(SETTLE_SECONDS), console);
    }

    /**
     * @param settle how long after joining this member leaves alone the items of holders it has never seen
     */
    public WorkClaims(Cluster cluster, Duration settle, Consumer<String> console) {
        this.cluster = cluster;
        this.settle = settle;
        this.console = console;
    }

    /** This member's name. */
    public String self() {
        return cluster.self();
    }

    /**
     * Takes item {@code index} for this member, unless a live member holds it or another live member
     * is the one to take it over.
     *
     * @param claim the item's claim file (its folder is created)
     * @param label the item's name in messages
     * @return true when the item is this member's now
     */
    public boolean take(Path claim, int index, String label) throws IOException {
        Files.createDirectories(claim.getParent());
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.write(claim, cluster.self().getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                return true;
            } catch (FileAlreadyExistsException e) {
                // claimed: by whom?
            }
            String holder;
            try {
                holder = Files.readString(claim).trim();
            } catch (NoSuchFileException e) {
                continue; // released meanwhile
            }
            if (holder.isEmpty()) {
                return false; // being written by its taker
            }
            if (holder.equals(cluster.self())) {
                return true;
            }
            List<String> live = new ArrayList<>(cluster.members());
            if (live.contains(holder)) {
                return false;
            }
            if (!cluster.departed().contains(holder) && System.nanoTime() - joined < settle.toNanos()) {
                return false; // never seen here: perhaps in a part of the group this member has not merged with yet
            }
            Collections.sort(live);
            if (live.isEmpty() || !live.get(Math.floorMod(index, live.size())).equals(cluster.self())) {
                return false; // another live member takes it over
            }
            console.accept(label + ": its process " + holder + " left; " + cluster.self()
                    + " takes it over from its last checkpoint");
            Files.deleteIfExists(claim);
        }
        return false;
    }

    /** Gives an item back (when this member holds it), so that another may take it. */
    public void release(Path claim) throws IOException {
        try {
            if (Files.readString(claim).trim().equals(cluster.self())) {
                Files.delete(claim);
            }
        } catch (NoSuchFileException e) {
            // not claimed
        }
    }

    @Override
    public void close() {
        cluster.close();
    }

    @Override
    public String toString() {
        return "WorkClaims[" + cluster.self() + "]";
    }
}
