package io.samtune.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.Random;

/** The samples a trainer draws from, by index; loading is lazy so a large dataset never sits in memory. */
public interface TrainingData {

    /** Number of samples. */
    int size();

    /** A name for sample {@code index} (its file name), for messages. */
    String name(int index);

    /**
     * Loads one sample.
     *
     * @param manager owns the sample's arrays (closed after the step)
     * @param rng randomness for this sample in this step (e.g. box jitter), derived from the run's seed
     */
    TrainingExample load(int index, NDManager manager, Random rng) throws IOException;
}
