package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.samtune.core.SamModel;
import java.util.List;

/**
 * What one training step computes, apart from the loop that runs it: from a batch of cached inputs
 * (image embeddings, or the tokens entering the first adapted encoder block) through the trained
 * part of the model to the loss. The loop ({@link DecoderTrainer}) back-propagates the loss, lets
 * the strategy combine gradients and updates; the task knows nothing of either.
 */
@FunctionalInterface
public interface TrainingTask {

    /**
     * The mean loss of a batch, as a scalar on autograd's tape.
     *
     * @param model the model (or a replica of it on another device) whose trained group gets the gradients
     * @param densePe the model's prompt-encoder positional encoding, in {@code scope}'s lifetime
     * @param scope owns every array of the step
     */
    NDArray loss(List<TrainingExample> batch, SamModel model, NDArray densePe, NDManager scope);
}
