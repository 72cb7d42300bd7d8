package io.samtune.sweep;

import io.samtune.cluster.WorkClaims;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Trials shared out among sweep processes on any machines that see the sweep folder and meet on
 * the cluster layer ({@link WorkClaims}): a process takes a trial by creating its claim file
 * ({@code trial-007/claim}) first; a trial of a process that left goes to one live process, which
 * resumes it from its last checkpoint.
 */
public final class ClusterWorkQueue implements WorkQueue {

    /** The claim file in a trial folder. */
    public static final String CLAIM = "claim";

    private final Path folder;
    private final WorkClaims claims;

    /**
     * @param folder the sweep folder
     * @param claims the sweep processes' work queue (closed with this)
     */
    public ClusterWorkQueue(Path folder, WorkClaims claims) {
        this.folder = folder;
        this.claims = claims;
    }

    private Path claim(Trial t) {
        return folder.resolve(t.folderName()).resolve(CLAIM);
    }

    @Override
    public boolean take(Trial t) throws IOException {
        return claims.take(claim(t), t.index(), t.folderName());
    }

    @Override
    public void release(Trial t) throws IOException {
        claims.release(claim(t));
    }

    @Override
    public void close() {
        claims.close();
    }

    @Override
    public String toString() {
        return "ClusterWorkQueue[" + claims.self() + " in " + folder + "]";
    }
}
