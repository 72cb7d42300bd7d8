/**
 * General file I/O shared by checkpoints, the embedding cache, run folders and reports: {@link
 * io.samtune.core.io.AtomicFiles} (write beside, flush, rename: a crash leaves the old or the new
 * file), {@link io.samtune.core.io.Half} (IEEE float16), {@link io.samtune.core.io.Sha256}
 * (file hashes for provenance and cache keys) and {@link io.samtune.core.io.JavaProcess} (the
 * command line of the Java processes samtune starts itself).
 */
package io.samtune.core.io;
