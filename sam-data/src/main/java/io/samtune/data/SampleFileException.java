package io.samtune.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file that cannot be used: unreadable, of the wrong format, or with a missing or malformed
 * part. The message names the file, the part at fault (a MATLAB field, a NIfTI header field, a
 * mask) and the problem, and says what to do where that helps.
 */
public class SampleFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String field;
    private final String problem;

    /**
     * @param file the offending file
     * @param field the part at fault, e.g. {@code cjdata.image} or {@code dim}, or null when the whole file is bad
     * @param problem what is wrong and, where it helps, what to do
     */
    public SampleFileException(Path file, String field, String problem) {
        this(file, field, problem, null);
    }

    /** As {@link #SampleFileException(Path, String, String)}, keeping the low-level cause. */
    public SampleFileException(Path file, String field, String problem, Throwable cause) {
        super(file + ": " + (field == null ? "" : field + ": ") + problem, cause);
        this.file = file;
        this.field = field;
        this.problem = problem;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }

    /** The part at fault, or null for the whole file. */
    public String field() {
        return field;
    }

    /** The problem, without the file and field. */
    public String problem() {
        return problem;
    }
}
