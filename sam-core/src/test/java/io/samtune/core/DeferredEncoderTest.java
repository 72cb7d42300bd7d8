package io.samtune.core;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.figshare.FigshareSource;
import io.samtune.data.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model loaded without its image encoder reads it at the first embedding and then embeds as a
 * fully loaded model does; the cache key comes from the checkpoint's SHA-256, so a filled cache
 * serves a model whose encoder was never read.
 */
class DeferredEncoderTest {

    @TempDir
    Path tmp;

    @Test
    void theEncoderIsReadOnlyWhenACacheMissNeedsIt() throws Exception {
        Path ckpt = Reference.file("tiny-sam.pth");
        SamConfig sizes = SamConfig.fromJson(Reference.file("tiny-sam-config.json"));
        Path slice = Fixtures.phantoms().resolve("1.mat");
        try (SamModel full = SamModel.load(ckpt, sizes, Device.cpu());
             SamModel lazy = SamModel.loadDeferringEncoder(ckpt, sizes, Device.cpu());
             SamModel cached = SamModel.loadDeferringEncoder(ckpt, sizes, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            assertThat(lazy.hasImageEncoder()).isTrue();
            assertThat(lazy.imageEncoderLoaded()).isFalse();
            assertThat(lazy.weights().keys()).noneMatch(k -> k.startsWith("image_encoder."));
            assertThat(lazy.toString()).contains("encoder read when needed");

            EmbeddingCache a = new EmbeddingCache(tmp, full, IntensityWindow.minMax(), true);
            EmbeddingCache b = new EmbeddingCache(tmp, cached, IntensityWindow.minMax(), true);
            assertThat(b.folder()).isEqualTo(a.folder());
            float[] first = a.get(FigshareSource.refOf(slice), m).embedding().toFloatArray(); // computed by the full model, stored
            float[] again = b.get(FigshareSource.refOf(slice), m).embedding().toFloatArray(); // read: no encoder needed
            assertThat(again).containsExactly(first);
            assertThat(cached.imageEncoderLoaded()).as("a cache hit reads no encoder").isFalse();

            var image = SamModel.toRgb(io.samtune.data.figshare.FigshareSource.read(slice), IntensityWindow.minMax());
            float[] expected = full.embed(image, m).embedding().toFloatArray();
            float[] actual = lazy.embed(image, m).embedding().toFloatArray();
            assertThat(lazy.imageEncoderLoaded()).isTrue();
            assertThat(actual).containsExactly(expected);
        }
    }

    @Test
    void aDamagedEncoderReadOnlyWhenNeededIsRefusedAsAnEagerLoadRefusesIt() throws Exception {
        Path bad = Reference.damagedEncoder(tmp);
        SamConfig sizes = SamConfig.fromJson(Reference.file("tiny-sam-config.json"));
        String eager = org.assertj.core.api.Assertions.catchThrowable(() -> SamModel.load(bad, sizes, Device.cpu()))
                .getMessage();
        org.assertj.core.api.Assertions.assertThat(eager).contains(bad.toString()).contains("image_encoder.");
        try (SamModel lazy = SamModel.loadDeferringEncoder(bad, sizes, Device.cpu());
             ai.djl.ndarray.NDManager m = lazy.manager().newSubManager()) {
            io.samtune.core.cache.EmbeddingCache cache = new io.samtune.core.cache.EmbeddingCache(tmp.resolve("cache"),
                    lazy, IntensityWindow.minMax(), true);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> cache.get(
                    io.samtune.data.figshare.FigshareSource.refOf(Fixtures.phantoms().resolve("2.mat")), m))
                    .isInstanceOf(io.samtune.core.checkpoint.CheckpointException.class).hasMessage(eager);
        }
    }
}
