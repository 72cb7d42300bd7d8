package io.samtune.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What an index knows about a slice file without decoding its image: enough to list, count and
 * split a dataset.
 *
 * @param file the slice file
 * @param name the file's path relative to the dataset folder, e.g. {@code 12.mat}
 * @param format MATLAB format of the file
 * @param label tumour type
 * @param patientId patient identifier
 * @param height image rows
 * @param width image columns
 */
public record SliceInfo(Path file, String name, MatFormat format, TumorType label, String patientId,
                        int height, int width) {

    /** Validates nulls and sizes. */
    public SliceInfo {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(patientId, "patientId");
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + height + "x" + width);
        }
    }

    /** The same slice under another display name. */
    public SliceInfo withName(String newName) {
        return new SliceInfo(file, newName, format, label, patientId, height, width);
    }

    /** Reads the whole slice (image, mask, border). */
    public BrainTumorSlice load() throws MatFileException {
        return MatSliceReader.read(file);
    }

    @Override
    public String toString() {
        return "SliceInfo[" + name + " (" + format + "), " + label.displayName() + ", patient " + patientId
                + ", " + height + "x" + width + "]";
    }
}
