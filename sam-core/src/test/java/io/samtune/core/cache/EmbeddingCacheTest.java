package io.samtune.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Reference;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.figshare.FigshareSource;
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
            ImageEmbedding direct = model.embed(FigshareSource.read(slice), IntensityWindow.minMax(), m);
            ImageEmbedding first = cache.get(FigshareSource.refOf(slice), m);
            ImageEmbedding second = cache.get(FigshareSource.refOf(slice), m);
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
            ImageEmbedding repaired = cache.get(FigshareSource.refOf(slice), m);
            assertThat(cache.stats().corrupt()).isEqualTo(1);
            assertThat(repaired.embedding().toFloatArray()).containsExactly(direct.embedding().toFloatArray());

            Files.write(entry, Arrays.copyOf(Files.readAllBytes(entry), 300));
            assertThat(cache.get(FigshareSource.refOf(slice), m).embedding().toFloatArray()).containsExactly(direct.embedding().toFloatArray());
            assertThat(cache.stats().corrupt()).isEqualTo(2);
            assertThat(Files.size(entry)).isGreaterThan(1000);

            // another window is another entry, never the stale one
            EmbeddingCache clipped = new EmbeddingCache(tmp, model, IntensityWindow.percentiles(1, 99), false);
            clipped.get(FigshareSource.refOf(slice), m);
            assertThat(clipped.stats().misses()).isEqualTo(1);
            assertThat(entries(tmp)).hasSize(2);

            // float16 entries are half the size and within float16 rounding
            EmbeddingCache half = new EmbeddingCache(tmp.resolve("f16"), model, IntensityWindow.minMax(), true);
            float[] h = half.get(FigshareSource.refOf(slice), m).embedding().toFloatArray();
            float[] d = direct.embedding().toFloatArray();
            for (int i = 0; i < d.length; i++) {
                assertThat(Math.abs(h[i] - d[i])).isLessThanOrEqualTo(Math.abs(d[i]) * 1e-3f + 1e-6f);
            }
            assertThat(Files.size(entries(tmp.resolve("f16")).get(0))).isLessThan(Files.size(entry));
            // a miss hands back what every later hit reads, so a first epoch equals the others
            assertThat(half.get(FigshareSource.refOf(slice), m).embedding().toFloatArray()).containsExactly(h);

            // a changed size in the header is caught by the checksum and recomputed, not used
            byte[] header = Files.readAllBytes(entry);
            int keyEnd = 4 + 4 + 2 + 64;
            int originalHeight = keyEnd + 1 + 4 + 4 * 8 + 4 + 4; // after flag, dims, shape, input sizes
            header[originalHeight + 3] ^= 0x01;
            Files.write(entry, header);
            ImageEmbedding again = cache.get(FigshareSource.refOf(slice), m);
            assertThat(again.originalHeight()).isEqualTo(256);
            assertThat(cache.stats().corrupt()).isEqualTo(3);
        }
    }

    @Test
    void severalSlicesInOnePassAndLowerPrecisionsAreCachedApart() throws Exception {
        List<Path> slices = List.of(Fixtures.phantoms().resolve("8.mat"), Fixtures.phantoms().resolve("1.mat"),
                Fixtures.phantoms().resolve("15.mat"));
        try (SamModel model = SamModel.load(Reference.file("tiny-sam.pth"),
                SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             NDManager m = model.manager().newSubManager()) {
            float[][] single = new float[slices.size()][];
            for (int i = 0; i < slices.size(); i++) {
                single[i] = model.embed(FigshareSource.read(slices.get(i)), IntensityWindow.minMax(), m).embedding()
                        .toFloatArray();
            }
            // one slice cached first: the batch reads it and encodes the other two in one pass
            EmbeddingCache cache = new EmbeddingCache(tmp, model, IntensityWindow.minMax(), false);
            cache.get(FigshareSource.refOf(slices.get(1)), m);
            List<ImageEmbedding> batch = cache.getAll(FigshareSource.refsOf(slices), m);
            assertThat(cache.stats()).isEqualTo(new EmbeddingCache.Stats(1, 3, 0));
            assertThat(entries(tmp)).hasSize(3);
            for (int i = 0; i < slices.size(); i++) {
                assertThat(batch.get(i).embedding().getShape().get(0)).isEqualTo(1);
                assertThat(maxDiff(batch.get(i).embedding().toFloatArray(), single[i])).as("slice %d", i)
                        .isLessThan(1e-5);
            }

            // a float16 encoder: close to float32, and never mixed with its entries
            for (ai.djl.ndarray.types.DataType low : List.of(ai.djl.ndarray.types.DataType.FLOAT16)) {
                model.setEncoderPrecision(low);
                assertThat(model.imageEncoder().precision()).isEqualTo(low);
                EmbeddingCache lower = new EmbeddingCache(tmp, model, IntensityWindow.minMax(), false);
                float[] e = lower.get(FigshareSource.refOf(slices.get(0)), m).embedding().toFloatArray();
                assertThat(lower.stats().misses()).as("%s is not the float32 entry", low).isEqualTo(1);
                double scale = 0;
                for (float v : single[0]) {
                    scale = Math.max(scale, Math.abs(v));
                }
                double err = maxDiff(e, single[0]);
                assertThat(err).as("%s error against float32", low).isGreaterThan(0).isLessThan(0.05 * scale);
            }
            assertThat(entries(tmp)).hasSize(4);
            // bfloat16 is refused by name, before any array of it exists (the engine would abort)
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.setEncoderPrecision(
                    ai.djl.ndarray.types.DataType.BFLOAT16)).hasMessageContaining("bfloat16 is not available")
                    .hasMessageContaining("float16");
            model.setEncoderPrecision(ai.djl.ndarray.types.DataType.FLOAT32);
            EmbeddingCache back = new EmbeddingCache(tmp, model, IntensityWindow.minMax(), false);
            back.get(FigshareSource.refOf(slices.get(0)), m);
            assertThat(back.stats().hits()).isEqualTo(1);
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void aSliceOfAVolumeIsKeyedOnWhatItShowsNotWhereItLies() throws Exception {
        Path copy = tmp.resolve("moved/brats");
        Files.createDirectories(copy);
        try (Stream<Path> cases = Files.list(Fixtures.phantomVolumes().resolve("brats"))) {
            for (Path c : cases.filter(Files::isDirectory).toList()) {
                Path to = Files.createDirectories(copy.resolve(c.getFileName()));
                try (Stream<Path> files = Files.list(c)) {
                    for (Path f : files.toList()) {
                        Files.copy(f, to.resolve(f.getFileName()));
                    }
                }
            }
        }
        io.samtune.data.SourceOptions o = io.samtune.data.SourceOptions.defaults();
        var original = io.samtune.data.SampleSources.open(Fixtures.phantomVolumes().resolve("brats"), o).scan(false);
        var moved = io.samtune.data.SampleSources.open(copy, o).scan(false);
        try (SamModel model = SamModel.load(Reference.file("tiny-sam.pth"),
                SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             NDManager m = model.manager().newSubManager()) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.parse("volume"), true);
            float[] a = cache.get(original.info(5), m).embedding().toFloatArray();
            float[] b = cache.get(moved.info(5), m).embedding().toFloatArray();
            assertThat(cache.stats()).isEqualTo(new EmbeddingCache.Stats(1, 1, 0));
            assertThat(b).containsExactly(a);
            cache.get(moved.info(6), m);
            assertThat(cache.stats().misses()).isEqualTo(2); // another slice of the same volume is another entry
            EmbeddingCache perSlice = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            perSlice.get(original.info(5), m);
            assertThat(perSlice.stats().misses()).isEqualTo(1); // another window, another entry
        }
    }

    @Test
    void anEntryForgedWithNanValuesAndAValidChecksumIsRecomputed() throws Exception {
        Path slice = Fixtures.phantoms().resolve("8.mat");
        try (SamModel model = SamModel.load(Reference.file("tiny-sam.pth"),
                SamConfig.fromJson(Reference.file("tiny-sam-config.json")), Device.cpu());
             NDManager m = model.manager().newSubManager()) {
            EmbeddingCache cache = new EmbeddingCache(tmp, model, IntensityWindow.minMax(), false);
            float[] good = cache.get(FigshareSource.refOf(slice), m).embedding().toFloatArray();
            Path entry = entries(tmp).get(0);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(entry));
            b.position(8);
            byte[] keyBytes = new byte[b.getShort() & 0xffff];
            b.get(keyBytes);
            boolean half = b.get() != 0;
            long[] shape = new long[b.getInt()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = b.getLong();
            }
            int ih = b.getInt();
            int iw = b.getInt();
            int oh = b.getInt();
            int ow = b.getInt();
            int crcAt = b.position();
            b.getLong();
            int len = b.getInt();
            int dataAt = b.position();
            java.nio.ByteBuffer data = java.nio.ByteBuffer.wrap(b.array(), dataAt, len).slice()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < len / 4; i += 97) {
                data.putFloat(i * 4, Float.NaN);
            }
            java.util.zip.CRC32 crc = EmbeddingCache.headerCrc(new String(keyBytes, java.nio.charset.StandardCharsets.UTF_8),
                    half, shape, ih, iw, oh, ow);
            crc.update(b.array(), dataAt, len);
            b.putLong(crcAt, crc.getValue());
            Files.write(entry, b.array());
            float[] again = cache.get(FigshareSource.refOf(slice), m).embedding().toFloatArray();
            assertThat(cache.stats().corrupt()).isEqualTo(1);
            assertThat(again).containsExactly(good);
            assertThat(cache.get(FigshareSource.refOf(slice), m).embedding().toFloatArray()).containsExactly(good);
            assertThat(cache.stats().corrupt()).isEqualTo(1); // rewritten: the next read is a plain hit
        }
    }
}
