package io.samtune.sweep;

import java.io.IOException;

/**
 * Which trials this process may run: all of them ({@link #local()}), or those it claims among
 * several sweep processes sharing the sweep folder ({@link ClusterWorkQueue}).
 */
public interface WorkQueue extends AutoCloseable {

    /** True when this process may run the trial now; the trial is then this process's until {@link #release}. */
    boolean take(Trial t) throws IOException;

    /** This process ran the trial and it did not end (finished, stopped or failed): others may take it. */
    void release(Trial t) throws IOException;

    /** Every trial is this process's: one sweep process alone. */
    static WorkQueue local() {
        return new WorkQueue() {
            @Override
            public boolean take(Trial t) {
                return true;
            }

            @Override
            public void release(Trial t) {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    void close();
}
