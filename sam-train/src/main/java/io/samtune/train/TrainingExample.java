package io.samtune.train;

import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prompt;
import io.samtune.data.BinaryMask;

/**
 * One training sample: an image embedding, the tumour mask it should produce, and its prompt (in
 * original image pixels).
 *
 * @param name the slice's name, for messages
 * @param embedding the cached image embedding; for a model with adapters, the tokens entering its first
 *     adapted block ({@link io.samtune.core.SamModel#blockInputs}), from which each step runs the rest
 * @param mask ground truth at the image's original size
 * @param prompt the prompt (box, point, or both)
 */
public record TrainingExample(String name, ImageEmbedding embedding, BinaryMask mask, Prompt prompt) {

    /** Validates that the mask has the embedding's original size. */
    public TrainingExample {
        if (mask.height() != embedding.originalHeight() || mask.width() != embedding.originalWidth()) {
            throw new IllegalArgumentException(name + ": mask is " + mask.height() + "x" + mask.width()
                    + " but the image was " + embedding.originalHeight() + "x" + embedding.originalWidth());
        }
    }
}
