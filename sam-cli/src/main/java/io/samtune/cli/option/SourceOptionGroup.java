package io.samtune.cli.option;

import io.samtune.data.SourceOptions;
import io.samtune.data.nifti.NiftiReader;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options that say how a data folder is read: its layout and, for volumes and image folders,
 * which image, labels and slices become samples. Shared by every command that reads {@code --data}.
 */
public final class SourceOptionGroup {

    @Option(names = "--format", paramLabel = "auto|mat|brats|decathlon|png", description = "Layout of --data (default: auto, which says what it found).")
    String format;

    @Option(names = "--modality", paramLabel = "NAME", description = "The image of a case: BraTS t1c|t1n|t2w|t2f (default t1c); Decathlon a modality name or channel number (default t1gd).")
    String modality;

    @Option(names = "--labels", paramLabel = "wt|tc|et|1,2,3", description = "Label values that make the target (default: wt, every label above 0).")
    String labels;

    @Option(names = "--slices", paramLabel = "tumour|all", description = "Which axial slices of a volume become samples (default: tumour).")
    String slices;

    @Option(names = "--min-area", paramLabel = "PX", description = "Smallest target area for a slice to become a sample (default: 1).")
    Integer minArea;

    @Option(names = "--patients", paramLabel = "FILE.csv", description = "Patient of each image of a PNG folder, rows 'file,patient' (default: the file name).")
    Path patients;

    @Option(names = "--max-voxels", paramLabel = "N", description = "Largest volume accepted, voxels per channel (default: 67108864); larger files are refused before they are read.")
    Long maxVoxels;

    /** Whether any option was given. */
    public boolean given() {
        return format != null || modality != null || labels != null || slices != null || minArea != null
                || patients != null;
    }

    /** The options given, on top of {@code base}. */
    public SourceOptions toOptions(SourceOptions base) {
        if (maxVoxels != null) {
            if (maxVoxels < 1) {
                throw new IllegalArgumentException("--max-voxels must be >= 1, got " + maxVoxels);
            }
            System.setProperty(NiftiReader.MAX_VOXELS_PROPERTY, maxVoxels.toString());
        }
        return new SourceOptions(format != null ? format : base.format(), modality != null ? modality : base.modality(),
                labels != null ? labels : base.labels(), slices != null ? slices : base.slices(),
                minArea != null ? minArea : base.minArea(), patients != null ? patients : base.patients());
    }

    /** The options given, on top of the defaults. */
    public SourceOptions toOptions() {
        return toOptions(SourceOptions.defaults());
    }
}
