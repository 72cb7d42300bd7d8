package io.samtune.data.figshare;

import io.samtune.data.BrainTumorSlice;
import io.samtune.data.DatasetException;
import io.samtune.data.MatFileException;
import io.samtune.data.MatSliceReader;
import io.samtune.data.Sample;
import io.samtune.data.SampleFileException;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSource;
import io.samtune.data.SliceIndex;
import io.samtune.data.io.FileDigests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The figshare brain tumour dataset: a folder of {@code .mat} slices (MATLAB v7.3 or v5), each
 * with its image, tumour mask, tumour type and patient. A sample's id is the file's path relative
 * to the folder ({@code 12.mat}).
 */
public final class FigshareSource implements SampleSource {

    private static final Logger LOG = LoggerFactory.getLogger(FigshareSource.class);

    private final Path dir;
    private final FileDigests digests = new FileDigests();

    /** A source over a folder of {@code .mat} slices. */
    public FigshareSource(Path dir) {
        this.dir = dir;
    }

    @Override
    public String format() {
        return "figshare .mat";
    }

    @Override
    public Path location() {
        return dir;
    }

    @Override
    public SliceIndex scan(boolean skipInvalid) throws DatasetException {
        List<Path> files = SliceIndex.listMatEntries(dir);
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
                return (Object) ref(SliceIndex.relativeName(dir, f), s);
            } catch (MatFileException e) {
                return e;
            }
        }).toList();
        List<SampleRef> infos = new ArrayList<>();
        List<SampleFileException> bad = new ArrayList<>();
        for (Object r : results) {
            if (r instanceof SampleRef i) {
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
            String summary = "dataset " + dir + ": no usable slice among " + files.size() + " .mat files";
            throw bad.isEmpty() ? new DatasetException(summary) : new DatasetException(summary, bad);
        }
        return SliceIndex.of(this, infos, bad);
    }

    /** The reference of a slice read from a file, under a name. */
    public SampleRef ref(String name, BrainTumorSlice s) {
        return new SampleRef(this, name, s.patientId(), s.label().displayName(), s.source(), null, s.height(), s.width(),
                s.format().label());
    }

    @Override
    public Sample load(SampleRef ref) throws MatFileException {
        return sample(ref, MatSliceReader.read(ref.file()));
    }

    /** A slice already read, as a sample. */
    public static Sample sample(SampleRef ref, BrainTumorSlice s) {
        short[] img = s.image();
        float[] image = new float[img.length];
        for (int i = 0; i < img.length; i++) {
            image[i] = img[i];
        }
        return new Sample(ref, image, s.mask(), null);
    }

    /** A single slice file as a sample (its own source), e.g. for {@code predict FILE.mat}. */
    public static Sample read(Path file) throws MatFileException {
        BrainTumorSlice s = MatSliceReader.read(file);
        FigshareSource source = new FigshareSource(file.toAbsolutePath().getParent());
        return sample(source.ref(String.valueOf(file.getFileName()), s), s);
    }

    /** A single slice file as a sample reference (its own source). */
    public static SampleRef refOf(Path file) throws MatFileException {
        return read(file).ref();
    }

    /** Single slice files as sample references. */
    public static List<SampleRef> refsOf(List<Path> files) throws MatFileException {
        List<SampleRef> out = new ArrayList<>();
        for (Path f : files) {
            out.add(refOf(f));
        }
        return out;
    }

    @Override
    public byte[] imageDigest(SampleRef ref) throws IOException {
        return digests.of(ref.file()); // the whole file, as the embedding cache has always keyed .mat slices
    }
}
