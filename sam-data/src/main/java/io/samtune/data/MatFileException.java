package io.samtune.data;

import java.nio.file.Path;

/**
 * A MATLAB file that cannot be used: unreadable, not a MAT-file, or with a missing or malformed
 * variable. The message names the file, the field (for example {@code cjdata.tumorMask}) and the
 * problem, and says what to do where that helps.
 */
public class MatFileException extends SampleFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file the offending file
     * @param field the MATLAB field, e.g. {@code cjdata.image}, or null when the whole file is bad
     * @param problem what is wrong and, where it helps, what to do
     */
    public MatFileException(Path file, String field, String problem) {
        this(file, field, problem, null);
    }

    /** As {@link #MatFileException(Path, String, String)}, keeping the low-level cause. */
    public MatFileException(Path file, String field, String problem, Throwable cause) {
        super(file, field, problem, cause);
    }

    /** What went wrong in a low-level error, for a message ({@link ErrorText#describe}). */
    public static String describe(Throwable e) {
        return ErrorText.describe(e);
    }
}
