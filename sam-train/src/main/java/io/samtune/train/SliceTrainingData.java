package io.samtune.train;

import ai.djl.ndarray.NDManager;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.PromptMode;
import io.samtune.core.SamModel;
import io.samtune.core.config.DataConfig;
import io.samtune.core.image.IntensityWindow;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.data.BinaryMask;
import io.samtune.data.Sample;
import io.samtune.data.SampleRef;
import java.io.IOException;
import java.util.List;
import java.util.Random;

/**
 * Training samples from any source: the embedding from the {@link EmbeddingCache} (computed on
 * first use; for a model with adapters, the tokens its block cache holds, or without a cache the
 * frozen blocks run at every load), the mask from the sample, the prompt from the mask (with optional box jitter).
 */
public final class SliceTrainingData implements TrainingData {

    private final List<SampleRef> slices;
    private final EmbeddingCache cache;
    private final SamModel model;
    private final IntensityWindow window;
    private final PromptMode prompt;
    private final int boxJitter;

    /**
     * Samples whose embeddings come from the cache.
     *
     * @param slices the training part of a split
     * @param cache embeddings of the model being trained
     * @param data the prompt kind, box jitter and window of the run (the cache has the same window)
     */
    public SliceTrainingData(List<SampleRef> slices, EmbeddingCache cache, DataConfig data) {
        this(slices, cache, null, data);
    }

    /**
     * Samples whose embeddings are recomputed by the image encoder every time they are loaded, with
     * no cache: what a training loop without an embedding cache pays (for comparisons).
     */
    public SliceTrainingData(List<SampleRef> slices, SamModel model, DataConfig data) {
        this(slices, null, model, data);
    }

    private SliceTrainingData(List<SampleRef> slices, EmbeddingCache cache, SamModel model, DataConfig data) {
        if (slices.isEmpty()) {
            throw new IllegalArgumentException("no slices to train on");
        }
        this.slices = List.copyOf(slices);
        this.cache = cache;
        this.model = model;
        this.window = data.window();
        this.prompt = data.prompt();
        this.boxJitter = data.boxJitter();
    }

    @Override
    public int size() {
        return slices.size();
    }

    @Override
    public String name(int index) {
        return slices.get(index).name();
    }

    /** The slices, in index order. */
    public List<SampleRef> slices() {
        return slices;
    }

    @Override
    public TrainingExample load(int index, NDManager manager, Random rng) throws IOException {
        SampleRef info = slices.get(index);
        if (cache != null) { // the image is only needed where the cache misses: the mask alone is read
            BinaryMask target = info.source().target(info);
            if (target.isEmpty()) {
                throw new IllegalArgumentException(info.name() + " has an empty mask, so no prompt can be made from it;"
                        + " keep only slices with a target (--slices tumour)");
            }
            ImageEmbedding e = cache.getStored(info, manager); // in a block cache: the tokens the adapters start from
            return new TrainingExample(info.name(), e, target, prompt.promptFor(target, boxJitter, rng));
        }
        Sample slice = info.load();
        ImageEmbedding e = model.adapters() == null ? model.embed(slice, window, manager)
                : model.blockInputs(List.of(SamModel.toRgb(slice, window)), model.firstAdaptedBlock(), manager).get(0);
        return new TrainingExample(info.name(), e, slice.mask(), prompt.promptFor(slice, boxJitter, rng));
    }

    /** Encodes every slice not yet in the cache, reporting progress. */
    public void warmCache(NDManager manager, java.util.function.IntConsumer progress) throws IOException {
        if (cache == null) {
            return;
        }
        for (int i = 0; i < slices.size(); i++) {
            try (NDManager m = manager.newSubManager()) {
                cache.getStored(slices.get(i), m);
            }
            if (progress != null) {
                progress.accept(i + 1);
            }
        }
    }

    @Override
    public String toString() {
        return "SliceTrainingData[" + slices.size() + " slices, " + prompt + " prompt" + (cache == null ? ", no cache" : "")
                + (boxJitter > 0 ? ", box jitter " + boxJitter + " px" : "") + "]";
    }
}
