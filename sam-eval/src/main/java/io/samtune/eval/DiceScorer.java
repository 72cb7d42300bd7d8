package io.samtune.eval;

import ai.djl.ndarray.NDManager;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prediction;
import io.samtune.core.PromptMode;
import io.samtune.core.SamModel;
import io.samtune.core.SamPredictor;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.BinaryMask;
import io.samtune.data.Sample;
import io.samtune.data.SampleRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Scores a model on slices: for each slice, predicts the single mask for its prompt, thresholds
 * the logits at 0 at the slice's original size, and compares with the tumour mask by Dice and IoU.
 * The one scoring used by validation during training and by {@code test-accuracy}.
 */
public final class DiceScorer {

    private final SamModel model;
    private final EmbeddingCache cache;
    private final PromptMode prompt;
    private final IntensityWindow window;

    /**
     * @param model the model to score (its current decoder weights)
     * @param cache where embeddings come from, or null to run the encoder for every slice
     * @param prompt which prompt each slice gets
     * @param window intensity window used when no cache is given (a cache has its own)
     */
    public DiceScorer(SamModel model, EmbeddingCache cache, PromptMode prompt, IntensityWindow window) {
        this.model = model;
        this.cache = cache;
        this.prompt = prompt;
        this.window = window;
    }

    /**
     * Scores every slice.
     *
     * @param progress called with the number of slices done so far; may be null
     */
    public List<SliceScore> score(List<SampleRef> slices, IntConsumer progress) throws IOException {
        List<SliceScore> out = new ArrayList<>(slices.size());
        try (SamPredictor predictor = model.newPredictor()) {
            for (SampleRef info : slices) {
                Sample slice = info.load();
                if (cache != null) {
                    try (NDManager m = model.manager().newSubManager()) {
                        ImageEmbedding e = cache.get(info, m);
                        predictor.setEmbedding(e);
                    }
                } else {
                    predictor.setImage(slice, window);
                }
                Prediction p = predictor.predict(prompt.promptFor(slice), false);
                BinaryMask predicted = p.mask();
                out.add(new SliceScore(info.name(), info.tumorType(), info.patientId(), predicted.dice(slice.mask()),
                        predicted.iou(slice.mask()), predicted.area(), slice.mask().area(),
                        predicted.intersection(slice.mask()), SurfaceDistance.hd95(predicted, slice.mask())));
                if (progress != null) {
                    progress.accept(out.size());
                }
            }
        }
        return out;
    }

    /** Scores every slice and summarises them under a name (e.g. {@code "before"}). */
    public CheckpointScores evaluate(String name, List<SampleRef> slices) throws IOException {
        return new CheckpointScores(name, null, score(slices, null));
    }

    /** Mean Dice over slices; NaN for none. */
    public static double meanDice(List<SliceScore> scores) {
        return new CheckpointScores("scores", null, scores).meanDice();
    }

    @Override
    public String toString() {
        return "DiceScorer[" + prompt + " prompt, " + (cache == null ? "no cache" : "cached embeddings") + "]";
    }
}
