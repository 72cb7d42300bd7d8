package io.samtune.cluster.collective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Chunks and segments tile the vector exactly once, in order, from (length, members, segment size) alone. */
class ChunkLayoutTest {

    @Test
    void chunksAndSegmentsCoverEveryIndexOnceInOrder() {
        for (int length : new int[] {0, 1, 2, 7, 8, 9, 100, 4_060_003}) {
            for (int members = 1; members <= 8; members++) {
                for (int seg : new int[] {1, 3, 1 << 18}) {
                    if (length > 200 && seg < 1000) {
                        continue;
                    }
                    ChunkLayout l = new ChunkLayout(length, members, seg);
                    int next = 0;
                    for (int c = 0; c < members; c++) {
                        assertThat(l.chunkStart(c)).isEqualTo(next);
                        int size = l.chunkEnd(c) - l.chunkStart(c);
                        // balanced: sizes differ by at most one, the longer first
                        assertThat(size).isEqualTo(length / members + (c < length % members ? 1 : 0));
                        assertThat(l.segments(c)).isLessThanOrEqualTo(l.maxSegments());
                        for (int k = 0; k < l.segments(c); k++) {
                            assertThat(l.segmentStart(c, k)).isEqualTo(next);
                            int n = l.segmentEnd(c, k) - l.segmentStart(c, k);
                            assertThat(n).isBetween(1, seg);
                            next += n;
                        }
                        assertThat(next).isEqualTo(l.chunkEnd(c));
                    }
                    assertThat(next).isEqualTo(length);
                }
            }
        }
    }

    @Test
    void theDefaultSegmentIsOneMebibyteOfFloats() {
        ChunkLayout l = ChunkLayout.of(4_060_003, 2);
        assertThat(l.segmentValues() * 4).isEqualTo(1 << 20);
        assertThat(l.chunkEnd(0)).isEqualTo(2_030_002);
        assertThat(l.segments(0)).isEqualTo(8);
        assertThat(l.segmentEnd(0, 7) - l.segmentStart(0, 7)).isEqualTo(2_030_002 - 7 * (1 << 18));
        assertThat(l.toString()).contains("4060003 values over 2 members");
    }

    @Test
    void outOfRangeAndInvalidArgumentsAreRefused() {
        ChunkLayout l = new ChunkLayout(10, 3, 2);
        assertThatThrownBy(() -> l.chunkStart(3)).isInstanceOf(IndexOutOfBoundsException.class).hasMessage("chunk 3 of 3");
        assertThatThrownBy(() -> l.chunkStart(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> l.segmentStart(0, 2)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("segment 2 of chunk 0 (2 segments)");
        assertThatThrownBy(() -> l.segmentEnd(1, -1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(l.segmentEnd(1, 1)).isEqualTo(7);
        assertThat(new ChunkLayout(2, 3, 5).segments(2)).isZero();
        assertThatThrownBy(() -> new ChunkLayout(-1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChunkLayout(1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChunkLayout(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        new ChunkLayout(0, 1, 1);
    }
}
