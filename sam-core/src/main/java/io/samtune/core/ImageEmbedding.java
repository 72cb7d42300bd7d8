package io.samtune.core;

import ai.djl.ndarray.NDArray;

/**
 * The image encoder's output for one image, with the sizes needed to map predictions back to it.
 * Holds native memory: close it, or let its manager close it.
 *
 * @param embedding (1, D, h, w)
 * @param inputHeight height of the resized image inside the model input
 * @param inputWidth width of the resized image inside the model input
 * @param originalHeight the image's height
 * @param originalWidth the image's width
 */
public record ImageEmbedding(NDArray embedding, int inputHeight, int inputWidth, int originalHeight,
                             int originalWidth) implements AutoCloseable {

    @Override
    public void close() {
        embedding.close();
    }

    @Override
    public String toString() {
        return "ImageEmbedding[" + embedding.getShape() + " for a " + originalHeight + "x" + originalWidth + " image"
                + " resized to " + inputHeight + "x" + inputWidth + "]";
    }
}
