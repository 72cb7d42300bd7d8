package io.samtune.cli.option;

import java.nio.file.Path;

/**
 * The launcher's bundled demo: the tiny SAM and the demo slices under the project folder (the
 * launcher sets {@code samtune.root}), used when a command is given no checkpoint, with a learning
 * rate and length that make the demo's few slices show fine-tuning in seconds.
 */
public final class Demo {

    /** The demo's learning rate (a tiny random model needs a large one). */
    public static final double LEARNING_RATE = 5e-3;
    /** The demo's epochs. */
    public static final int EPOCHS = 30;

    private Demo() {
    }

    /** The project folder, where the bundled files are. */
    public static Path projectRoot() {
        String r = System.getProperty("samtune.root");
        return r != null ? Path.of(r) : Path.of("").toAbsolutePath();
    }

    /** The bundled demo slices, {@code testdata/demo}. */
    public static Path data() {
        return projectRoot().resolve("testdata/demo");
    }

    /** The bundled tiny SAM checkpoint. */
    public static Path checkpoint() {
        return projectRoot().resolve("testdata/reference/tiny-sam.pth");
    }

    /** The bundled tiny SAM's sizes. */
    public static Path sizes() {
        return projectRoot().resolve("testdata/reference/tiny-sam-config.json");
    }
}
