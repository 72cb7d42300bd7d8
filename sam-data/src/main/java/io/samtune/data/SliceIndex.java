package io.samtune.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The samples of a dataset, listed with patient, label and size but without their pixels: images
 * are loaded only when {@link #load(int)} or {@link #slices()} asks, so a 3064-slice dataset never
 * sits in memory at once. A {@link SampleSource} makes one by scanning its folder.
 *
 * <p>For the figshare layout ({@link #scan(Path, boolean)}), every {@code *.mat} file under the
 * folder (recursively, so the figshare download's four sub-folders work as they are) is a slice,
 * except the dataset's index files ({@link #INDEX_FILE_NAMES}). Files are ordered by name with
 * numbers compared as numbers ({@code 2.mat} before {@code 10.mat}). Nothing is ever written to
 * the folder.
 */
public final class SliceIndex {

    /** File names that hold dataset indices, not slices: skipped when scanning a folder. */
    public static final Set<String> INDEX_FILE_NAMES = Set.of("cvind.mat", "cvind5fold.mat", "label.mat");

    private static final Pattern DIGITS = Pattern.compile("\\d+");

    private final Path root;
    private final SampleSource source;
    private final List<SampleRef> slices;
    private final List<SampleFileException> skipped;

    private SliceIndex(Path root, SampleSource source, List<SampleRef> slices, List<? extends SampleFileException> skipped) {
        this.root = root;
        this.source = source;
        this.slices = List.copyOf(slices);
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Scans a folder of figshare {@code .mat} slices; any invalid file fails the scan.
     *
     * @throws DatasetException listing every invalid file, or when the folder is missing or holds no slice
     */
    public static SliceIndex scan(Path dir) throws DatasetException {
        return scan(dir, false);
    }

    /**
     * Scans a folder of figshare {@code .mat} slices.
     *
     * @param skipInvalid when true, invalid files are left out and listed by {@link #skipped()};
     *     when false, any invalid file fails the scan
     * @throws DatasetException listing every invalid file (unless skipped), or when the folder is
     *     missing or holds no usable slice
     */
    public static SliceIndex scan(Path dir, boolean skipInvalid) throws DatasetException {
        try {
            return new io.samtune.data.figshare.FigshareSource(dir).scan(skipInvalid);
        } catch (DatasetException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new DatasetException("dataset " + dir + ": " + ErrorText.describe(e));
        }
    }

    /**
     * The index a source makes from its scan.
     *
     * @param skipped unusable files left out
     */
    public static SliceIndex of(SampleSource source, List<SampleRef> slices, List<? extends SampleFileException> skipped) {
        return new SliceIndex(source.location(), source, slices, skipped);
    }

    /** An index over already known samples, e.g. one part of a split. */
    public static SliceIndex of(Path root, List<SampleRef> slices) {
        return new SliceIndex(root, slices.isEmpty() ? null : slices.get(0).source(), slices, List.of());
    }

    /**
     * The slice files under a folder, in natural name order, without reading them.
     *
     * @throws DatasetException if the folder does not exist or holds no {@code .mat} file
     */
    public static List<Path> listSliceFiles(Path dir) throws DatasetException {
        List<Path> files = listMatEntries(dir).stream().filter(Files::isRegularFile).toList();
        if (files.isEmpty()) {
            throw new DatasetException("dataset folder " + dir + " holds no .mat slice files");
        }
        return files;
    }

    /**
     * Every entry under a folder named {@code *.mat} (files, and folders, pipes or broken links so
     * named, which the scan reports), in natural name order; symbolic links to folders are not
     * followed, so link loops cannot trap the walk.
     */
    public static List<Path> listMatEntries(Path dir) throws DatasetException {
        if (!Files.isDirectory(dir)) {
            throw new DatasetException("dataset folder " + dir + " does not exist or is not a folder;"
                    + " pass the folder holding the slice .mat files (--data DIR)");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = new ArrayList<>(s.filter(p -> !p.equals(dir))
                    .filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".mat"))
                    .filter(p -> !INDEX_FILE_NAMES.contains(p.getFileName().toString()))
                    .toList());
        } catch (IOException | UncheckedIOException e) {
            throw new DatasetException("cannot list dataset folder " + dir + ": " + ErrorText.describe(e));
        }
        files.sort(Comparator.comparing((Path p) -> relativeName(dir, p), SliceIndex::compareNatural));
        if (files.isEmpty()) {
            throw new DatasetException("dataset folder " + dir + " holds no .mat slice files");
        }
        return files;
    }

    /** A file's name relative to a data folder, with {@code /} separators on every system. */
    public static String relativeName(Path dir, Path file) {
        return dir.relativize(file).toString().replace('\\', '/');
    }

    /** Compares names with runs of digits compared by value: {@code 2.mat < 10.mat}. */
    public static int compareNatural(String a, String b) {
        Matcher ma = DIGITS.matcher(a);
        Matcher mb = DIGITS.matcher(b);
        int ia = 0;
        int ib = 0;
        while (ia < a.length() && ib < b.length()) {
            boolean da = Character.isDigit(a.charAt(ia));
            boolean db = Character.isDigit(b.charAt(ib));
            if (da && db && ma.find(ia) && mb.find(ib)) {
                String na = ma.group().replaceFirst("^0+(?=.)", "");
                String nb = mb.group().replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) {
                    return c;
                }
                ia = ma.end();
                ib = mb.end();
            } else {
                int c = Character.compare(a.charAt(ia), b.charAt(ib));
                if (c != 0) {
                    return c;
                }
                ia++;
                ib++;
            }
        }
        return Integer.compare(a.length() - ia, b.length() - ib);
    }

    /** The folder scanned. */
    public Path root() {
        return root;
    }

    /** The source that loads the samples (null for an empty index). */
    public SampleSource source() {
        return source;
    }

    /** Number of samples. */
    public int size() {
        return slices.size();
    }

    /** The samples, in the source's order. */
    public List<SampleRef> infos() {
        return slices;
    }

    /** The i-th sample's reference. */
    public SampleRef info(int i) {
        return slices.get(i);
    }

    /** Loads the i-th sample. */
    public Sample load(int i) throws java.io.IOException {
        return slices.get(i).load();
    }

    /** Loads the samples one at a time, as the stream is consumed. */
    public Stream<Sample> slices() {
        return slices.stream().map(info -> {
            try {
                return info.load();
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Unusable files left out of a scan with {@code skipInvalid}. */
    public List<SampleFileException> skipped() {
        return skipped;
    }

    /** Distinct patient ids, sorted. */
    public List<String> patients() {
        return slices.stream().map(SampleRef::patientId).distinct().sorted().toList();
    }

    /** Number of slices per figshare tumour type, in enum order (samples without one are not counted). */
    public Map<TumorType, Integer> countsByType() {
        return TumorType.count(slices, SampleRef::tumorType);
    }

    /** Number of samples per class label, sorted; empty when the dataset has no labels. */
    public Map<String, Integer> countsByLabel() {
        Map<String, Integer> counts = new TreeMap<>();
        slices.stream().filter(s -> s.label() != null).forEach(s -> counts.merge(s.label(), 1, Integer::sum));
        return Collections.unmodifiableMap(counts);
    }

    /** Number of slices per image size, e.g. {@code "512x512" -> 3000}. */
    public Map<String, Integer> countsBySize() {
        Map<String, Integer> counts = new TreeMap<>();
        slices.forEach(s -> counts.merge(s.height() + "x" + s.width(), 1, Integer::sum));
        return Collections.unmodifiableMap(counts);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SliceIndex[").append(root).append(": ").append(size())
                .append(" slices, ").append(patients().size()).append(" patients");
        Map<TumorType, Integer> types = countsByType();
        if (types.values().stream().mapToInt(Integer::intValue).sum() == size()) {
            types.forEach((t, n) -> sb.append(", ").append(t.displayName()).append(' ').append(n));
        } else {
            countsByLabel().forEach((t, n) -> sb.append(", ").append(t).append(' ').append(n));
        }
        if (!skipped.isEmpty()) {
            sb.append(", ").append(skipped.size()).append(" skipped");
        }
        return sb.append(']').toString();
    }
}
