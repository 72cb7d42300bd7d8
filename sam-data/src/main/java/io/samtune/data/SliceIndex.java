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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slices of a dataset folder, listed with label, patient and size but without their pixels:
 * images are decoded only when {@link #load(int)} or {@link #slices()} asks, so a 3064-slice dataset
 * never sits in memory at once.
 *
 * <p>Every {@code *.mat} file under the folder (recursively, so the figshare download's four
 * sub-folders work as they are) is a slice, except the dataset's index files
 * ({@link #INDEX_FILE_NAMES}). Files are ordered by name with numbers compared as numbers
 * ({@code 2.mat} before {@code 10.mat}). Nothing is ever written to the folder.
 */
public final class SliceIndex {

    private static final Logger LOG = LoggerFactory.getLogger(SliceIndex.class);

    /** File names that hold dataset indices, not slices: skipped when scanning a folder. */
    public static final Set<String> INDEX_FILE_NAMES = Set.of("cvind.mat", "cvind5fold.mat", "label.mat");

    private static final Pattern DIGITS = Pattern.compile("\\d+");

    private final Path root;
    private final List<SliceInfo> slices;
    private final List<MatFileException> skipped;

    private SliceIndex(Path root, List<SliceInfo> slices, List<MatFileException> skipped) {
        this.root = root;
        this.slices = List.copyOf(slices);
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Scans a folder; any invalid file fails the scan.
     *
     * @throws DatasetException listing every invalid file, or when the folder is missing or holds no slice
     */
    public static SliceIndex scan(Path dir) throws DatasetException {
        return scan(dir, false);
    }

    /**
     * Scans a folder.
     *
     * @param skipInvalid when true, invalid files are left out and listed by {@link #skipped()};
     *     when false, any invalid file fails the scan
     * @throws DatasetException listing every invalid file (unless skipped), or when the folder is
     *     missing or holds no usable slice
     */
    public static SliceIndex scan(Path dir, boolean skipInvalid) throws DatasetException {
        List<Path> files = listMatEntries(dir);
        // every slice is decoded once here, one at a time, so that no later read can fail on a file the
        // scan accepted; what is kept is its header, so memory does not grow with the dataset
        List<Object> results = files.parallelStream().map(f -> {
            if (!Files.isRegularFile(f)) {
                return (Object) new MatFileException(f, null, Files.isDirectory(f) ? "is a folder named like a slice"
                        : Files.isSymbolicLink(f) ? "is a broken symbolic link" : "is not a regular file (a pipe or"
                        + " device?); it was not opened");
            }
            try {
                BrainTumorSlice s = MatSliceReader.read(f);
                return (Object) new SliceInfo(f, relativeName(dir, f), s.format(), s.label(), s.patientId(), s.height(),
                        s.width());
            } catch (MatFileException e) {
                return e;
            }
        }).toList();
        List<SliceInfo> infos = new ArrayList<>();
        List<MatFileException> bad = new ArrayList<>();
        for (Object r : results) {
            if (r instanceof SliceInfo i) {
                infos.add(i);
            } else {
                bad.add((MatFileException) r);
            }
        }
        if (!bad.isEmpty() && !skipInvalid) {
            throw new DatasetException("dataset " + dir, bad);
        }
        bad.forEach(e -> LOG.warn("skipping {}", e.getMessage()));
        if (infos.isEmpty()) {
            throw new DatasetException("dataset " + dir + ": no usable slice among " + files.size() + " .mat files");
        }
        return new SliceIndex(dir, infos, bad);
    }

    /** An index over already known slices, e.g. one part of a split. */
    public static SliceIndex of(Path root, List<SliceInfo> slices) {
        return new SliceIndex(root, slices, List.of());
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
    static List<Path> listMatEntries(Path dir) throws DatasetException {
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
    static int compareNatural(String a, String b) {
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

    /** Number of slices. */
    public int size() {
        return slices.size();
    }

    /** The slices, in name order. */
    public List<SliceInfo> infos() {
        return slices;
    }

    /** The i-th slice's metadata. */
    public SliceInfo info(int i) {
        return slices.get(i);
    }

    /** Decodes the i-th slice. */
    public BrainTumorSlice load(int i) throws MatFileException {
        return slices.get(i).load();
    }

    /** Decodes the slices one at a time, as the stream is consumed. */
    public Stream<BrainTumorSlice> slices() {
        return slices.stream().map(info -> {
            try {
                return info.load();
            } catch (MatFileException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Invalid files left out of a scan with {@code skipInvalid}. */
    public List<MatFileException> skipped() {
        return skipped;
    }

    /** Distinct patient ids, sorted. */
    public List<String> patients() {
        return slices.stream().map(SliceInfo::patientId).distinct().sorted().toList();
    }

    /** Number of slices per tumour type, in enum order. */
    public Map<TumorType, Integer> countsByType() {
        return TumorType.count(slices, SliceInfo::label);
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
        countsByType().forEach((t, n) -> sb.append(", ").append(t.displayName()).append(' ').append(n));
        if (!skipped.isEmpty()) {
            sb.append(", ").append(skipped.size()).append(" skipped");
        }
        return sb.append(']').toString();
    }
}
