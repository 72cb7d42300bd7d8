package io.samtune.sweep;

import io.samtune.cluster.Cluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trials shared out among sweep processes on any machines that see the sweep folder and meet on
 * the cluster layer: a process takes a trial by creating its claim file ({@code trial-007/claim},
 * holding the member's name) first. A trial whose claiming member has left the group (it died or
 * was stopped) goes to one live member, chosen by the trial's number among the live members in name
 * order, which resumes it from its last checkpoint.
 */
public final class ClusterWorkQueue implements WorkQueue {

    /** The claim file in a trial folder. */
    public static final String CLAIM = "claim";

    private final Path folder;
    private final Cluster cluster;
    private final Consumer<String> console;

    /**
     * @param folder the sweep folder
     * @param cluster the sweep processes' group, joined (closed with this queue)
     * @param console told when a trial of a member that left is taken over
     */
    public ClusterWorkQueue(Path folder, Cluster cluster, Consumer<String> console) {
        this.folder = folder;
        this.cluster = cluster;
        this.console = console;
    }

    @Override
    public boolean take(Trial t) throws IOException {
        Path claim = folder.resolve(t.folderName()).resolve(CLAIM);
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
            Collections.sort(live);
            if (live.isEmpty() || !live.get(t.index() % live.size()).equals(cluster.self())) {
                return false; // another live member takes it over
            }
            console.accept(t.folderName() + ": its process " + holder + " left the sweep; " + cluster.self()
                    + " takes it over from its last checkpoint");
            Files.deleteIfExists(claim);
        }
        return false;
    }

    @Override
    public void release(Trial t) throws IOException {
        Path claim = folder.resolve(t.folderName()).resolve(CLAIM);
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
        return "ClusterWorkQueue[" + cluster.self() + " in " + folder + "]";
    }
}
