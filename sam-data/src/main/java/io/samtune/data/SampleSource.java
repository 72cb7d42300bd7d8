package io.samtune.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where samples come from: one layout of files (figshare {@code .mat} slices, BraTS case folders,
 * a Decathlon task, a PNG folder). A source lists its samples without their pixels
 * ({@link #scan}) and loads one when asked ({@link #load}); the model, cache, scorer and trainer
 * see only {@link SampleRef} and {@link Sample}. {@link SampleSources#open} picks the source for a
 * folder. Implementations are safe for use from several threads.
 */
public interface SampleSource {

    /** The layout's name, e.g. {@code figshare .mat}, {@code BraTS}, {@code Decathlon Task01}, {@code PNG}. */
    String format();

    /** The folder read. */
    Path location();

    /**
     * Lists the samples, in a stable order.
     *
     * @param skipInvalid leave unusable files out (listed by {@link SliceIndex#skipped()}) instead of failing
     * @throws DatasetException naming every unusable file (unless skipped), or when nothing usable is found
     */
    SliceIndex scan(boolean skipInvalid) throws IOException;

    /**
     * Loads one sample listed by {@link #scan}.
     *
     * @throws SampleFileException naming the file and the problem
     */
    Sample load(SampleRef ref) throws IOException;

    /**
     * The target mask of a sample, without its image when the source can (a training step whose
     * embedding is cached needs only this); by default the whole sample is loaded.
     */
    default BinaryMask target(SampleRef ref) throws IOException {
        return load(ref).mask();
    }

    /**
     * A SHA-256 over everything that decides the sample's image (file contents, channel, slice), so
     * that caches can key on what the model sees rather than where it was found.
     */
    byte[] imageDigest(SampleRef ref) throws IOException;

    /** Lines for {@code dataset-info} beyond counts (orientations found, labels present); none by default. */
    default List<String> notes() {
        return List.of();
    }
}
