package io.samtune.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The dataset's own cross-validation index ({@code cvind.mat}): for slice file {@code N.mat} the
 * fold number {@code folds()[N - 1]}, 1-based.
 *
 * @param file the index file
 * @param folds fold of each slice, 1-based, in slice-number order
 */
public record CrossValidationIndex(Path file, int[] folds) {

    /** Validates that folds are positive. */
    public CrossValidationIndex {
        for (int i = 0; i < folds.length; i++) {
            if (folds[i] < 1) {
                throw new IllegalArgumentException("fold of slice " + (i + 1) + " is " + folds[i] + ", must be >= 1");
            }
        }
    }

    /**
     * Reads a MAT-file (v7.3 or v5) holding one numeric vector, named {@code cvind} in the
     * published file.
     */
    public static CrossValidationIndex read(Path file) throws MatFileException {
        try (MatContainer mat = MatContainer.open(file)) {
            String name = mat.variableNames().contains("cvind") ? "cvind" : singleVariable(mat, file);
            MatVariable v = mat.variable(name);
            if (!v.isNumeric() || v.isEmpty() || (v.rows() != 1 && v.cols() != 1)) {
                throw new MatFileException(file, name, "is " + v.matlabClass() + " of shape "
                        + MatSliceReader.shape(v.dimensions()) + ", expected a numeric vector of fold numbers");
            }
            if (MatSliceReader.count(v.dimensions()) > MAX_ENTRIES) {
                throw new MatFileException(file, name, "has " + MatSliceReader.count(v.dimensions())
                        + " entries, more than a dataset's " + MAX_ENTRIES + " slices");
            }
            double[] d = v.doubles();
            int[] folds = new int[d.length];
            for (int i = 0; i < d.length; i++) {
                if (d[i] != Math.rint(d[i]) || d[i] < 1 || d[i] > MAX_FOLDS) {
                    throw new MatFileException(file, name, "entry " + (i + 1) + " is " + d[i]
                            + ", expected a fold number in 1.." + MAX_FOLDS);
                }
                folds[i] = (int) d[i];
            }
            return new CrossValidationIndex(file, folds);
        }
    }

    /** The most folds an index may name. */
    static final int MAX_FOLDS = 100;
    /** The most entries an index may hold. */
    static final long MAX_ENTRIES = 10_000_000;

    private static String singleVariable(MatContainer mat, Path file) throws MatFileException {
        var names = mat.variableNames();
        if (names.size() != 1) {
            throw new MatFileException(file, "cvind", "missing (variables found: " + String.join(", ", names) + ")");
        }
        return names.get(0);
    }

    /** Number of folds (the largest fold number). */
    public int foldCount() {
        return Arrays.stream(folds).max().orElse(0);
    }

    /** Number of slices in each fold, index 0 for fold 1. */
    public int[] foldSizes() {
        int[] sizes = new int[foldCount()];
        for (int f : folds) {
            sizes[f - 1]++;
        }
        return sizes;
    }

    /**
     * The fold of a slice file named {@code N.mat} (any folder).
     *
     * @throws IllegalArgumentException if the name is not a number within the index
     */
    public int foldOf(SampleRef slice) {
        String name = slice.file().getFileName().toString();
        String stem = name.endsWith(".mat") ? name.substring(0, name.length() - 4) : name;
        if (!stem.matches("\\d{1,9}")) {
            throw new IllegalArgumentException(file + " indexes slices by number, but " + slice.name()
                    + " is not named N.mat");
        }
        int n = Integer.parseInt(stem);
        if (n < 1 || n > folds.length) {
            throw new IllegalArgumentException(file + " covers slices 1.." + folds.length + ", not " + slice.name());
        }
        return folds[n - 1];
    }

    @Override
    public String toString() {
        return "CrossValidationIndex[" + file.getFileName() + ": " + folds.length + " slices, fold sizes "
                + Arrays.toString(foldSizes()) + "]";
    }
}
