package io.samtune.cluster.collective;

/**
 * How an all-reduce cuts a vector: one contiguous chunk per member (member {@code j} reduces chunk
 * {@code j}; the first {@code length % members} chunks are one value longer), each chunk cut into
 * segments of at most {@code segmentValues} values, the unit that is sent, received and summed. The
 * boundaries depend only on (length, members, segment size), so every member cuts alike, on every run.
 *
 * @param length the number of values in the vector (0 or more)
 * @param members the number of members (1 or more)
 * @param segmentValues the most values in one segment (1 or more)
 */
public record ChunkLayout(int length, int members, int segmentValues) {

    /** 1 MiB of float32 values: large enough that headers and calls cost little, small enough to pipeline. */
    public static final int DEFAULT_SEGMENT_VALUES = 1 << 18;

    /** Validates. */
    public ChunkLayout {
        if (length < 0 || members < 1 || segmentValues < 1) {
            throw new IllegalArgumentException("length must be >= 0, members and segmentValues >= 1; got length "
                    + length + ", " + members + " members, segments of " + segmentValues);
        }
    }

    /** The layout of a vector of {@code length} values over {@code members} with 1 MiB segments. */
    public static ChunkLayout of(int length, int members) {
        return new ChunkLayout(length, members, DEFAULT_SEGMENT_VALUES);
    }

    /** The first index of member {@code chunk}'s chunk. */
    public int chunkStart(int chunk) {
        checkChunk(chunk);
        int base = length / members;
        return chunk * base + Math.min(chunk, length % members);
    }

    /** One past the last index of member {@code chunk}'s chunk. */
    public int chunkEnd(int chunk) {
        return chunk == members - 1 ? length : chunkStart(chunk + 1);
    }

    /** The number of segments of chunk {@code chunk} (0 for an empty chunk). */
    public int segments(int chunk) {
        int size = chunkEnd(chunk) - chunkStart(chunk);
        return (size + segmentValues - 1) / segmentValues;
    }

    /** The first index of segment {@code segment} of chunk {@code chunk}. */
    public int segmentStart(int chunk, int segment) {
        checkSegment(chunk, segment);
        return chunkStart(chunk) + segment * segmentValues;
    }

    /** One past the last index of segment {@code segment} of chunk {@code chunk}. */
    public int segmentEnd(int chunk, int segment) {
        checkSegment(chunk, segment);
        return Math.min(chunkEnd(chunk), segmentStart(chunk, segment) + segmentValues);
    }

    /** The most segments any chunk has. */
    public int maxSegments() {
        return segments(0); // the first chunk is never shorter than the others
    }

    private void checkChunk(int chunk) {
        if (chunk < 0 || chunk >= members) {
            throw new IndexOutOfBoundsException("chunk " + chunk + " of " + members);
        }
    }

    private void checkSegment(int chunk, int segment) {
        if (segment < 0 || segment >= segments(chunk)) {
            throw new IndexOutOfBoundsException("segment " + segment + " of chunk " + chunk + " (" + segments(chunk)
                    + " segments)");
        }
    }

    @Override
    public String toString() {
        return "ChunkLayout[" + length + " values over " + members + " members, segments of " + segmentValues + "]";
    }
}
