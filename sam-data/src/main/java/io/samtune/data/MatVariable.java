package io.samtune.data;

/**
 * One MATLAB array read from a MAT-file, independent of the file format. Numeric data come back
 * flat in MATLAB's column-major order: element {@code (row, col)} at {@code row + col * rows()}.
 */
interface MatVariable {

    /** The file the variable was read from. */
    java.nio.file.Path file();

    /** Dotted MATLAB path, e.g. {@code cjdata.image}. */
    String path();

    /** MATLAB class name: {@code double}, {@code int16}, {@code char}, {@code logical}, {@code struct}, ... */
    String matlabClass();

    /** MATLAB dimensions, {@code [rows, cols, ...]}; all zero-free unless {@link #isEmpty()}. */
    int[] dimensions();

    /** True for a MATLAB empty array ({@code []} or {@code ''}). */
    boolean isEmpty();

    /** Number of rows (first MATLAB dimension). */
    default int rows() {
        return dimensions()[0];
    }

    /** Number of columns (second MATLAB dimension; 1 for a column vector). */
    default int cols() {
        int[] d = dimensions();
        return d.length > 1 ? d[1] : 1;
    }

    /** True for a numeric or logical class. */
    default boolean isNumeric() {
        return switch (matlabClass()) {
            case "double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                    "logical" -> true;
            default -> false;
        };
    }

    /** Column-major values of a numeric array, as doubles. */
    double[] doubles() throws MatFileException;

    /** Column-major values of an int16 array. */
    short[] int16s() throws MatFileException;

    /** Column-major values of a logical or numeric array, true where non-zero. */
    boolean[] logicals() throws MatFileException;

    /** The text of a char array (a row vector). */
    String text() throws MatFileException;

    /** An int16 matrix in row-major order: element {@code (row, col)} at {@code row * cols() + col}. */
    default short[] int16sRowMajor() throws MatFileException {
        short[] colMajor = int16s();
        int[] from = rowMajorSources(colMajor.length);
        short[] out = new short[colMajor.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = colMajor[from[i]];
        }
        return out;
    }

    /**
     * A mask value as a bit: 0 or 1, anything else (2, 255, 0.5, NaN) refused, since guessing what
     * it means would train on a wrong mask.
     *
     * @throws MatFileException naming the variable and the value
     */
    static boolean bit(double v, MatVariable of) throws MatFileException {
        if (v == 0) {
            return false;
        }
        if (v == 1) {
            return true;
        }
        throw new MatFileException(of.file(), of.path(), "holds the value " + v + "; a tumour mask holds only 0 and 1"
                + " - fix the annotation (or binarise it) or skip the file");
    }

    /** A logical matrix in row-major order: element {@code (row, col)} at {@code row * cols() + col}. */
    default boolean[] logicalsRowMajor() throws MatFileException {
        boolean[] colMajor = logicals();
        int[] from = rowMajorSources(colMajor.length);
        boolean[] out = new boolean[colMajor.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = colMajor[from[i]];
        }
        return out;
    }

    /**
     * For each element of the matrix in row-major order, its index in the column-major values
     * ({@code n} of them, checked against the shape).
     */
    private int[] rowMajorSources(int n) throws MatFileException {
        requireElements(n);
        int h = rows();
        int w = cols();
        int[] from = new int[n];
        for (int c0 = 0; c0 < w; c0 += TILE) { // in tiles, so that both orders stay in cache
            for (int r0 = 0; r0 < h; r0 += TILE) {
                for (int r = r0, rEnd = Math.min(h, r0 + TILE); r < rEnd; r++) {
                    for (int c = c0, cEnd = Math.min(w, c0 + TILE); c < cEnd; c++) {
                        from[r * w + c] = c * h + r;
                    }
                }
            }
        }
        return from;
    }

    /** Checks that the decoded data fill the declared 2-D shape. */
    private void requireElements(int n) throws MatFileException {
        if (dimensions().length != 2 || n != (long) rows() * cols()) {
            throw new MatFileException(file(), path(), "holds " + n + " values for shape " + rows() + "x" + cols()
                    + "; the file is truncated or corrupt - re-download it");
        }
    }

    /** Side of the square blocks a transpose copies, small enough to stay in the L1 cache. */
    int TILE = 64;
}
