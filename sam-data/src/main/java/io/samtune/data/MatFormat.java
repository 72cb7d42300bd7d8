package io.samtune.data;

/** The MATLAB file format a slice was stored in, detected from the file header. */
public enum MatFormat {
    /** Level 5 MAT-file, as written by {@code save -v6} / {@code -v7}. */
    V5("v5"),
    /** HDF5 with a 512-byte MATLAB header, as written by {@code save -v7.3} (or plain HDF5 in MATLAB's layout). */
    V7_3("v7.3");

    private final String label;

    MatFormat(String label) {
        this.label = label;
    }

    /** The short name used in reports: {@code "v5"} or {@code "v7.3"}. */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
