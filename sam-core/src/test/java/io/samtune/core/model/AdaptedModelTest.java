package io.samtune.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Reference;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.Safetensors;
import io.samtune.core.image.IntensityWindow;
import io.samtune.core.image.RgbImage;
import io.samtune.data.Fixtures;
import io.samtune.data.SampleRef;
import io.samtune.data.SliceIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model with adapters: the two halves of the encoder around the first adapted block make the
 * whole, merged weights compute what the adapters do, the block cache keeps the tokens apart from
 * embeddings, and a decoder file brings its adapters along (or takes them away).
 */
class AdaptedModelTest {

    @TempDir
    Path tmp;

    static SamModel tiny() throws Exception {
        return SamModel.load(Reference.file("tiny-sam.pth"), SamConfig.fromJson(Reference.file("tiny-sam-config.json")),
                Device.cpu());
    }

    static RgbImage image(int h, int w, long seed) {
        byte[] px = new byte[h * w * 3];
        new Random(seed).nextBytes(px);
        return new RgbImage(h, w, px);
    }

    /** Gives every adapter random values (B too), so they change what the encoder computes. */
    static void randomise(SamModel model, LoraConfig lora) {
        Map<String, NDArray> v = new LinkedHashMap<>();
        NDManager m = model.manager();
        Random r = new Random(3);
        lora.shapes(model.config()).forEach((k, s) -> {
            float[] f = new float[(int) s.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) (r.nextGaussian() * 0.2);
            }
            v.put(k, m.create(f, s));
        });
        model.removeAdapters();
        model.setAdapters(lora, v);
    }

    @Test
    void theHalvesAroundTheFirstAdaptedBlockMakeTheWholeAndMergedWeightsAgree() throws Exception {
        LoraConfig lora = new LoraConfig(3, 5, "1", List.of("k", "v"));
        try (SamModel model = tiny(); NDManager m = model.manager().newSubManager()) {
            RgbImage img = image(70, 90, 1);
            float[] base = model.embed(img, m).embedding().toFloatArray();
            model.addAdapters(lora, 5);
            assertThat(model.toString()).contains("adapters LoRA[rank 3, alpha 5, blocks 1, targets k,v] on blocks [2]");
            assertThat(model.embed(img, m).embedding().toFloatArray()).isEqualTo(base); // B = 0
            randomise(model, lora);
            NDArray whole = model.embed(img, m).embedding();
            assertThat(Reference.maxAbsDiff(whole, m.create(base, whole.getShape()))).isGreaterThan(1e-3);
            ImageEmbedding tokens = model.blockInputs(List.of(img), 2, m).get(0);
            assertThat(tokens.embedding().getShape()).isEqualTo(new Shape(1, 8, 8, 48));
            assertThat(Reference.maxAbsDiff(model.embedFromBlockInput(tokens, 2, m).embedding(), whole)).isLessThan(1e-5);
            // from an earlier block too: the frozen block 1 runs in the second half
            ImageEmbedding earlier = model.blockInputs(List.of(img), 1, m).get(0);
            assertThat(Reference.maxAbsDiff(model.embedFromBlockInput(earlier, 1, m).embedding(), whole)).isLessThan(1e-5);
            assertThatThrownBy(() -> model.blockInputs(List.of(img), 3, m)).hasMessageContaining("block 2 is adapted");
            // the merged checkpoint computes the same without adapters
            Path merged = tmp.resolve("merged.safetensors");
            Safetensors.write(model.mergedWeights(m), Map.of(), merged, false);
            try (SamModel plain = SamModel.load(merged, model.config(), Device.cpu())) {
                assertThat(plain.adapters()).isNull();
                assertThat(Reference.maxAbsDiff(plain.embed(img, m).embedding(), whole)).isLessThan(1e-5);
            }
            model.removeAdapters();
            assertThat(model.adapters()).isNull();
            assertThat(model.weights().keys()).noneMatch(LoraConfig::isAdapterName);
            assertThat(model.embed(img, m).embedding().toFloatArray()).isEqualTo(base);
        }
    }

    @Test
    void theBlockCacheKeepsTokensApartFromEmbeddingsAndReadsThemBack() throws Exception {
        LoraConfig lora = new LoraConfig(2, 4, "2", List.of("q", "v"));
        SliceIndex index = SliceIndex.scan(Fixtures.demo());
        SampleRef slice = index.info(0);
        try (SamModel model = tiny(); NDManager m = model.manager().newSubManager()) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), false);
            assertThat(cache.block()).isEqualTo(-1);
            ImageEmbedding plain = cache.get(slice, m);
            model.addAdapters(lora, 1);
            randomise(model, lora);
            assertThat(cache.block()).isEqualTo(1);
            ImageEmbedding tokens = cache.getStored(slice, m);
            assertThat(tokens.embedding().getShape()).isEqualTo(new Shape(1, 8, 8, 48));
            ImageEmbedding adapted = cache.get(slice, m);
            assertThat(cache.stats().misses()).isEqualTo(2); // an embedding entry, then a token entry
            assertThat(Reference.maxAbsDiff(adapted.embedding(), plain.embedding())).isGreaterThan(1e-3);
            assertThat(Reference.maxAbsDiff(adapted.embedding(), model.embed(SamModel.toRgb(slice.load(),
                    IntensityWindow.minMax()), m).embedding())).isLessThan(1e-5);
            // read back, not recomputed
            assertThat(cache.getStored(slice, m).embedding().toFloatArray()).isEqualTo(tokens.embedding().toFloatArray());
            assertThat(cache.stats().misses()).isEqualTo(2);
            try (var files = Files.walk(cache.folder())) {
                assertThat(files.filter(f -> f.toString().endsWith(".emb")).count()).isEqualTo(2);
            }
            // a cache fixed on the embedding refuses a model with adapters, rather than mixing them up
            EmbeddingCache fixed = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), false, -1);
            assertThatThrownBy(() -> fixed.get(slice, m)).hasMessageContaining("model has adapters now");
            assertThatThrownBy(() -> new EmbeddingCache(tmp, model, IntensityWindow.minMax(), false, 3))
                    .hasMessageContaining("outside the encoder");
        }
    }

    @Test
    void aDecoderFileBringsItsAdaptersAndOneWithoutTakesThemAway() throws Exception {
        LoraConfig lora = new LoraConfig(4, 8, "2", List.of("q", "v"));
        try (SamModel trained = tiny(); SamModel fresh = tiny(); NDManager m = fresh.manager().newSubManager()) {
            trained.addAdapters(lora, 2);
            randomise(trained, lora);
            Path withAdapters = tmp.resolve("with.safetensors");
            trained.saveDecoder(withAdapters, Map.of());
            Path without = tmp.resolve("without.safetensors");
            fresh.saveDecoder(without, Map.of());
            RgbImage img = image(50, 60, 2);
            float[] base = fresh.embed(img, m).embedding().toFloatArray();

            fresh.loadDecoder(withAdapters);
            assertThat(fresh.adapters()).isEqualTo(lora);
            assertThat(fresh.embed(img, m).embedding().toFloatArray())
                    .isEqualTo(trained.embed(img, m).embedding().toFloatArray());
            fresh.loadDecoder(without);
            assertThat(fresh.adapters()).isNull();
            assertThat(fresh.embed(img, m).embedding().toFloatArray()).isEqualTo(base);

            // adapters without their settings, or not matching them, are refused naming the file
            Map<String, NDArray> t = new LinkedHashMap<>(trained.decoderParameters());
            t.putAll(trained.adapterParameters());
            Path noSettings = tmp.resolve("no-settings.safetensors");
            Safetensors.write(t, Map.of("format", SamModel.DECODER_FORMAT), noSettings, false);
            assertThatThrownBy(() -> fresh.loadDecoder(noSettings)).isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(noSettings.toString()).hasMessageContaining("not their settings");
            Path otherBlocks = tmp.resolve("other-blocks.safetensors");
            Safetensors.write(t, Map.of(SamModel.ADAPTER_KEY, new LoraConfig(4, 8, "1", List.of("q", "v")).toJson()
                    .toString()), otherBlocks, false);
            assertThatThrownBy(() -> fresh.loadDecoder(otherBlocks)).hasMessageContaining(otherBlocks.toString())
                    .hasMessageContaining("image_encoder.blocks.1.attn.qkv.lora_q_A").hasMessageContaining("is not one of");
            Path outside = tmp.resolve("outside.safetensors");
            Safetensors.write(t, Map.of(SamModel.ADAPTER_KEY, new LoraConfig(4, 8, "5", List.of("q", "v")).toJson()
                    .toString()), outside, false);
            assertThatThrownBy(() -> fresh.loadDecoder(outside)).hasMessageContaining("do not fit this model")
                    .hasMessageContaining("--lora-blocks 5");
            Map<String, NDArray> nan = new LinkedHashMap<>(t);
            nan.put(LoraConfig.name(2, "v", "B"), m.full(new Shape(48, 4), Float.NaN));
            Path damaged = tmp.resolve("nan.safetensors");
            Safetensors.write(nan, Map.of(SamModel.ADAPTER_KEY, lora.toJson().toString()), damaged, false);
            assertThatThrownBy(() -> fresh.loadDecoder(damaged)).hasMessageContaining("lora_v_B is not finite");
            assertThat(fresh.adapters()).isNull(); // nothing of a refused file was taken
        }
    }
}
