package io.samtune.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A sample as a scan lists it, without its pixels: enough to count, split and report a dataset,
 * and to load the sample from its source when needed.
 *
 * @param source the source that loads it
 * @param name a stable id, unique in its dataset, used by splits and reports: the file's path
 *     relative to the data folder for slice files ({@code 12.mat}, {@code images/a.png}), the case
 *     and axial index for volumes ({@code BraTS-GLI-00000-000/z075})
 * @param patientId the patient (for volumes, the case): splits never put one patient in two parts
 * @param label the class label, e.g. {@code glioma}, or null when the dataset has none
 * @param file the image file the sample comes from
 * @param slice the axial index in its volume (0 = most inferior), or null for 2D files
 * @param height image rows
 * @param width image columns
 * @param format the file format, for reports: {@code v5}, {@code v7.3}, {@code nifti}, {@code png}
 */
public record SampleRef(SampleSource source, String name, String patientId, String label, Path file, Integer slice,
                        int height, int width, String format) {

    /** Validates nulls and sizes. */
    public SampleRef {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(patientId, "patientId");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(format, "format");
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + height + "x" + width);
        }
    }

    /** The stable id: {@link #name()}. */
    public String id() {
        return name;
    }

    /** The figshare tumour type of the label, or null when the label is not one. */
    public TumorType tumorType() {
        return TumorType.fromName(label);
    }

    /** The same sample under another name. */
    public SampleRef withName(String newName) {
        return new SampleRef(source, newName, patientId, label, file, slice, height, width, format);
    }

    /** Loads the image and mask from the source. */
    public Sample load() throws IOException {
        return source.load(this);
    }

    @Override
    public String toString() {
        return "SampleRef[" + name + " (" + format + "), " + (label == null ? "" : label + ", ") + "patient " + patientId
                + ", " + height + "x" + width + "]";
    }
}
