package io.samtune.data;

import io.samtune.data.figshare.FigshareSource;
import io.samtune.data.nifti.VolumeLayouts;
import io.samtune.data.png.PngFolderSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Opens the source for a data folder: the layout named, or the one the folder has ({@code auto}). */
public final class SampleSources {

    private SampleSources() {
    }

    /**
     * The source for a folder.
     *
     * @throws DatasetException when the folder is missing, or {@code auto} recognises no layout
     */
    public static SampleSource open(Path dir, SourceOptions options) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DatasetException("dataset folder " + dir + " does not exist or is not a folder; pass the folder"
                    + " holding the data (--data DIR)");
        }
        String format = options.format().equals("auto") ? detect(dir) : options.format();
        return switch (format) {
            case "mat" -> new FigshareSource(dir);
            case "brats" -> VolumeLayouts.brats(dir, options);
            case "decathlon" -> VolumeLayouts.decathlon(dir, options);
            case "png" -> new PngFolderSource(dir, options);
            default -> throw new IllegalStateException(format);
        };
    }

    /**
     * The layout of a folder: {@code decathlon} ({@code dataset.json} and {@code imagesTr/}),
     * {@code png} ({@code images/} and {@code masks/}), {@code brats} (case folders holding
     * {@code CASE-seg.nii.gz}), {@code mat} ({@code .mat} files anywhere below).
     *
     * @throws DatasetException naming the layouts looked for when none matches
     */
    public static String detect(Path dir) throws DatasetException {
        if (VolumeLayouts.isDecathlon(dir)) {
            return "decathlon";
        }
        if (PngFolderSource.matches(dir)) {
            return "png";
        }
        if (VolumeLayouts.isBrats(dir)) {
            return "brats";
        }
        try (Stream<Path> s = Files.walk(dir, 4)) {
            if (s.anyMatch(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".mat"))) {
                return "mat";
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new DatasetException("cannot list dataset folder " + dir + ": " + ErrorText.describe(e));
        }
        throw new DatasetException("dataset folder " + dir + " has none of the layouts samtune reads: .mat slices"
                + " (figshare), BraTS case folders (CASE/CASE-seg.nii.gz), a Decathlon task (dataset.json, imagesTr/,"
                + " labelsTr/), or images/ with masks/ (PNG); see docs/your-own-data.md");
    }
}
