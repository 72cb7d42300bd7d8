package io.samtune.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * Turns a parameter group's gradients into an update of its values. State (moments) is kept by
 * tensor name, so it survives the group's arrays being replaced, and it is part of a checkpoint,
 * so a resumed run continues bit for bit. Made by {@link OptimizationConfig#newOptimizer}.
 */
public interface Optimizer extends AutoCloseable {

    /**
     * Updates every parameter from its gradient at learning rate {@code learningRate}, then zeroes
     * the gradients.
     */
    void update(TrainableParameters parameters, double learningRate);

    /** Number of updates made so far. */
    long updates();

    /** The state to save, by name (e.g. {@code m.<param>}, {@code v.<param>}). */
    Map<String, NDArray> state();

    /** Restores what {@link #state()} saved, and the update count. */
    void restore(Map<String, NDArray> state, long updates);

    /** Frees the state. */
    @Override
    void close();
}
