package io.samtune.data;

import java.io.IOException;
import java.util.List;

/**
 * A dataset folder with one or more unusable files: carries every {@link SampleFileException} found,
 * not just the first, so one run shows everything to fix.
 */
public class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient List<SampleFileException> problems;

    /**
     * @param summary what was being done, e.g. the folder scanned
     * @param problems every bad file, at least one
     */
    public DatasetException(String summary, List<? extends SampleFileException> problems) {
        super(message(summary, problems));
        this.problems = List.copyOf(problems);
        problems.forEach(this::addSuppressed);
    }

    /** Constructs an error that is not about particular files (e.g. a missing folder). */
    public DatasetException(String message) {
        super(message);
        this.problems = List.of();
    }

    /** Every bad file with its problem. */
    public List<SampleFileException> problems() {
        return problems;
    }

    private static String message(String summary, List<? extends SampleFileException> problems) {
        StringBuilder sb = new StringBuilder(summary).append(": ").append(problems.size())
                .append(problems.size() == 1 ? " invalid file" : " invalid files");
        for (SampleFileException p : problems) {
            sb.append(System.lineSeparator()).append("  ").append(p.getMessage());
        }
        sb.append(System.lineSeparator()).append("Fix or remove these files, or skip them (--skip-invalid).");
        return sb.toString();
    }
}
