package io.samtune.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Reference;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.Fixtures;
import io.samtune.data.MatSliceReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingCacheTest {

    @TempDir
    Path tmp;

    private static List<Path> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".emb")).toList();
        }
    }

    @Test
    void computesOnceReadsBackAndRecomputesCorruptOrStaleEntries() throws Exception {
        Path slice = Fixtures.phantoms().resolve("8.mat");
        try (SamModel model = SamModel.load(Reference.file("tiny-sam.pth"),
                SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             NDManager m = model.manager().newSubManager()) {
            EmbeddingCache cache = new EmbeddingCache(tmp, model, IntensityWindow.minMax(), false);
            ImageEmbedding direct = model.embed(MatSliceReader.read(slice), IntensityWindow.minMax(), m);
            ImageEmbedding first = cache.get(slice, m);
            ImageEmbedding second = cache.get(slice, m);
            assertThat(cache.stats()).isEqualTo(new EmbeddingCache.Stats(1, 1, 0));
            assertThat(second.embedding().toFloatArray()).containsExactly(direct.embedding().toFloatArray());
            assertThat(first.embedding().toFloatArray()).containsExactly(direct.embedding().toFloatArray());
            assertThat(second.inputHeight()).isEqualTo(128);
            assertThat(second.originalHeight()).isEqualTo(256);

            List<Path> files = entries(tmp);
            assertThat(files).hasSize(1);
            Path entry = files.get(0);
            byte[] bytes = Files.readAllBytes(entry);
            bytes[bytes.length - 7] ^= 0x40;
            Files.write(entry, bytes);
            ImageEmbedding repaired = cache.get(slice, m);
            assertThat(cache.stats().corrupt()).isEqualTo(1);
            assertThat(repaired.embedding().toFloatArray()).containsExactly(direct.embedding().toFloatArray());

            Files.write(entry, Arrays.copyOf(Files.readAllBytes(entry), 300));
            assertThat(cache.get(slice, m).embedding().toFloatArray()).containsExactly(direct.embedding().toFloatArray());
            assertThat(cache.stats().corrupt()).isEqualTo(2);
            assertThat(Files.size(entry)).isGreaterThan(1000);

            // another window is another entry, never the stale one
            EmbeddingCache clipped = new EmbeddingCache(tmp, model, IntensityWindow.percentiles(1, 99), false);
            clipped.get(slice, m);
            assertThat(clipped.stats().misses()).isEqualTo(1);
            assertThat(entries(tmp)).hasSize(2);

            // float16 entries are half the size and within float16 rounding
            EmbeddingCache half = new EmbeddingCache(tmp.resolve("f16"), model, IntensityWindow.minMax(), true);
            float[] h = half.get(slice, m).embedding().toFloatArray();
            float[] d = direct.embedding().toFloatArray();
            for (int i = 0; i < d.length; i++) {
                assertThat(Math.abs(h[i] - d[i])).isLessThanOrEqualTo(Math.abs(d[i]) * 1e-3f + 1e-6f);
            }
            assertThat(Files.size(entries(tmp.resolve("f16")).get(0))).isLessThan(Files.size(entry));
            // a miss hands back what every later hit reads, so a first epoch equals the others
            assertThat(half.get(slice, m).embedding().toFloatArray()).containsExactly(h);

            // a changed size in the header is caught by the checksum and recomputed, not used
            byte[] header = Files.readAllBytes(entry);
            int keyEnd = 4 + 4 + 2 + 64;
            int originalHeight = keyEnd + 1 + 4 + 4 * 8 + 4 + 4; // after flag, dims, shape, input sizes
            header[originalHeight + 3] ^= 0x01;
            Files.write(entry, header);
            ImageEmbedding again = cache.get(slice, m);
            assertThat(again.originalHeight()).isEqualTo(256);
            assertThat(cache.stats().corrupt()).isEqualTo(3);
        }
    }
}
