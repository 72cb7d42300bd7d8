package io.samtune.distributed.federated;

import io.samtune.distributed.federated.aggregation.AggregationState;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The aggregation's state after the latest merge, kept in a site's run folder
 * ({@value #NAME}) so that a server optimiser's moments survive a restart of the whole federation.
 * Written beside, then moved over, the last one: a crash leaves the old file or the new one.
 */
final class ServerStateFile {

    /** The file's name in a run folder. */
    static final String NAME = "federation-state.bin";
    private static final String MAGIC = "samtune-federation-state-1";
    private static final int MAX_BUFFERS = 8;

    private ServerStateFile() {
    }

    /** Writes the state of {@code strategy} (its settings as JSON) after {@code round}. */
    static void write(Path file, String strategy, long round, AggregationState state) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            out.writeUTF(MAGIC);
            out.writeUTF(strategy);
            out.writeLong(round);
            out.writeLong(state.rounds());
            out.writeInt(state.buffers().size());
            for (float[] b : state.buffers()) {
                MessageWriter.writeFloats(out, b);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The state in {@code file} for {@code strategy} and weight vectors of {@code length} values.
     *
     * @throws IOException naming the file when it is not such a state (another strategy, other
     *     sizes, truncated, values that are not finite)
     */
    static AggregationState read(Path file, String strategy, int length) throws IOException {
        long size = Files.size(file);
        if (size > 64L + strategy.length() * 3L + MAX_BUFFERS * (4L + 4L * length)) {
            throw new IOException(file + ": " + size + " bytes, more than a state of " + length + " values holds");
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (!MAGIC.equals(in.readUTF())) {
                throw new IOException(file + ": not a samtune federation state");
            }
            String saved = in.readUTF();
            if (!saved.equals(strategy)) {
                throw new IOException(file + ": the state of merge " + saved + ", this run merges " + strategy
                        + "; remove the file to start the strategy afresh");
            }
            in.readLong();
            long rounds = in.readLong();
            int n = in.readInt();
            if (rounds < 0 || n < 0 || n > MAX_BUFFERS) {
                throw new IOException(file + ": a damaged state (" + rounds + " rounds, " + n + " buffers)");
            }
            List<float[]> buffers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                float[] b = MessageReader.readFloats(in);
                if (b.length != length) {
                    throw new IOException(file + ": a state of " + b.length + " values, the decoder has " + length);
                }
                buffers.add(b);
            }
            AggregationState state = new AggregationState(rounds, buffers);
            String bad = Contributions.nonFinite(new float[0], state);
            if (bad != null) {
                throw new IOException(file + ": the state " + bad + "; remove the file to start the strategy afresh");
            }
            return state;
        } catch (java.io.EOFException e) {
            throw new IOException(file + ": a truncated federation state", e);
        }
    }
}
