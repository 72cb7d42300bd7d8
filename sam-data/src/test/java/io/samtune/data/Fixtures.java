package io.samtune.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where the test data live: {@code testdata/} in the project, {@code ../shared/} beside it when present. */
public final class Fixtures {

    private Fixtures() {
    }

    /** The project's root folder (the one holding {@code testdata/}). */
    public static Path root() {
        String prop = System.getProperty("samtune.root");
        if (prop != null && Files.isDirectory(Path.of(prop, "testdata"))) {
            return Path.of(prop).toAbsolutePath();
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("testdata"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the project's testdata/ folder from " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** The 24 phantom slices with {@code golden.json}. */
    public static Path phantoms() {
        return root().resolve("testdata/phantom-brain-tumor");
    }

    /** BraTS, Decathlon and PNG phantoms with their {@code golden.json}. */
    public static Path phantomVolumes() {
        return root().resolve("testdata/phantom-volumes");
    }

    /** The bundled demo slices. */
    public static Path demo() {
        return root().resolve("testdata/demo");
    }

    /** The shared fixtures folder beside the project, if this checkout has one. */
    public static Optional<Path> shared() {
        Path s = root().getParent().resolve("shared");
        return Files.isDirectory(s) ? Optional.of(s) : Optional.empty();
    }
}
