package io.samtune.data.nifti;

import io.samtune.data.BinaryMask;
import io.samtune.data.CroppedMask;
import io.samtune.data.DatasetException;
import io.samtune.data.LabelSet;
import io.samtune.data.Sample;
import io.samtune.data.SampleFileException;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSource;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import io.samtune.data.VolumeIntensities;
import io.samtune.data.io.FileDigests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples cut from NIfTI volumes with a label volume per case (BraTS case folders, a Decathlon
 * task): each volume is put in RAS+ in its own orientation, its axial slices holding target (or
 * all, with {@code --slices all}) become samples, and the case is the patient, so a split never
 * puts one case in two parts. A sample's id is {@code CASE/zK} with {@code K} the axial index, from
 * inferior to superior, three digits or more.
 */
public final class VolumeSource implements SampleSource {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeSource.class);
    private static final int CASES_HELD = 2;

    /**
     * One case: its image (a channel of it) and its labels.
     *
     * @param id the case's name, e.g. {@code BraTS-GLI-00000-000}
     * @param image the image volume
     * @param channel the channel of a 4D image (0 for 3D)
     * @param labels the label volume
     */
    public record Case(String id, Path image, int channel, Path labels) {
    }

    private record Loaded(NiftiVolume image, boolean[] masks, VolumeIntensities intensities) {
    }

    private final String format;
    private final Path dir;
    private final List<Case> cases;
    private final LabelSet target;
    private final SourceOptions options;
    private final long maxVoxels;
    private final FileDigests digests = new FileDigests();
    private final Map<String, Case> byId = new LinkedHashMap<>();
    private final Map<String, Loaded> held = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Loaded> eldest) {
            return size() > CASES_HELD;
        }
    };
    private final Map<String, CroppedMask> targets = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Integer> orientations = new TreeMap<>();
    private final TreeSet<Integer> labelsPresent = new TreeSet<>();

    /**
     * A source over known cases.
     *
     * @param format the layout's name, for reports
     * @param layout {@code brats} or {@code decathlon}: how named label sets are read
     */
    public VolumeSource(String format, String layout, Path dir, List<Case> cases, SourceOptions options) {
        this.format = format;
        this.dir = dir;
        this.cases = List.copyOf(cases);
        this.options = options;
        this.target = LabelSet.parse(options.labels(), layout);
        this.maxVoxels = NiftiReader.maxVoxels();
        cases.forEach(c -> byId.put(c.id(), c));
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public Path location() {
        return dir;
    }

    /** The cases found. */
    public List<Case> cases() {
        return cases;
    }

    @Override
    public SliceIndex scan(boolean skipInvalid) throws IOException {
        List<SampleRef> refs = new ArrayList<>();
        List<SampleFileException> bad = new ArrayList<>();
        for (Case c : cases) {
            try {
                refs.addAll(scanCase(c));
            } catch (SampleFileException e) {
                bad.add(e);
            }
        }
        if (!bad.isEmpty() && !skipInvalid) {
            throw new DatasetException("dataset " + dir, bad);
        }
        bad.forEach(e -> LOG.warn("skipping {}", e.getMessage()));
        if (refs.isEmpty() && !bad.isEmpty()) {
            throw new DatasetException("dataset " + dir + ": no usable case", bad);
        }
        if (refs.isEmpty()) {
            throw new DatasetException("dataset " + dir + ": no slice with target (labels " + target + ") in "
                    + cases.size() + (cases.size() == 1 ? " case" : " cases") + "; check --labels, or list every slice"
                    + " with --slices all");
        }
        return SliceIndex.of(this, refs, bad);
    }

    private List<SampleRef> scanCase(Case c) throws SampleFileException {
        NiftiVolume labels = NiftiReader.read(c.labels(), 0, maxVoxels);
        if (labels.header().channels() != 1) {
            throw new SampleFileException(c.labels(), "dim", "has " + labels.header().channels() + " channels; a label"
                    + " volume has one");
        }
        NiftiHeader image = NiftiReader.header(c.image());
        if (c.channel() >= image.channels()) {
            throw new SampleFileException(c.image(), "dim", "has " + image.channels() + " channels; channel "
                    + c.channel() + " does not exist (choose 0.." + (image.channels() - 1) + ")");
        }
        Orientation imageOrientation = orientation(image);
        checkAligned(image, imageOrientation, labels);
        synchronized (this) {
            orientations.merge(imageOrientation.code(), 1, Integer::sum);
            orientations.merge(labels.orientation().code(), 1, Integer::sum);
        }
        float[] values = labels.values();
        TreeSet<Integer> present = new TreeSet<>();
        for (float v : values) {
            if (v != Math.rint(v) || v < 0) {
                throw new SampleFileException(c.labels(), "voxels", "holds the value " + v + "; labels are whole numbers"
                        + " >= 0 (is this an image rather than a segmentation?)");
            }
            if (v > 0) {
                present.add((int) v);
            }
        }
        synchronized (this) {
            labelsPresent.addAll(present);
        }
        int[] sides = labels.canonicalSides();
        List<SampleRef> refs = new ArrayList<>();
        for (int k = 0; k < sides[2]; k++) {
            float[] slice = labels.axialSlice(k);
            boolean[] mask = new boolean[slice.length];
            int area = 0;
            for (int i = 0; i < slice.length; i++) {
                mask[i] = target.contains((int) slice[i]);
                area += mask[i] ? 1 : 0;
            }
            if (options.allSlices() || area >= options.minArea()) {
                SampleRef ref = new SampleRef(this, String.format(java.util.Locale.ROOT, "%s/z%03d", c.id(), k), c.id(),
                        null, c.image(), k, sides[1], sides[0], "nifti");
                targets.put(ref.name(), new CroppedMask(new BinaryMask(sides[1], sides[0], mask)));
                refs.add(ref);
            }
        }
        return refs;
    }

    private static Orientation orientation(NiftiHeader h) throws SampleFileException {
        try {
            return Orientation.of(h.affine());
        } catch (IllegalArgumentException e) {
            throw new SampleFileException(h.file(), h.affineSource(), e.getMessage());
        }
    }

    /** Refuses an image and label volume that do not cover the same voxels once both are in RAS+. */
    private static void checkAligned(NiftiHeader image, Orientation io, NiftiVolume labels) throws SampleFileException {
        long[] sides = {image.dims()[0], image.dims()[1], image.dims()[2]};
        long[] ci = io.canonicalSides(sides);
        int[] cl = labels.canonicalSides();
        String both = image.file() + " and " + labels.header().file();
        if (ci[0] != cl[0] || ci[1] != cl[1] || ci[2] != cl[2]) {
            throw new SampleFileException(labels.header().file(), "dim", "the image and its labels cover different"
                    + " grids once put in RAS+ (" + ci[0] + "x" + ci[1] + "x" + ci[2] + " against " + cl[0] + "x" + cl[1]
                    + "x" + cl[2] + "): " + both + " cannot be aligned; resample the labels onto the image");
        }
        double[] ai = io.canonicalAffine(image.affine(), sides);
        double[] al = labels.canonicalAffine();
        double voxel = Double.MAX_VALUE;
        for (int c = 0; c < 3; c++) {
            voxel = Math.min(voxel, Math.sqrt(ai[c] * ai[c] + ai[4 + c] * ai[4 + c] + ai[8 + c] * ai[8 + c]));
        }
        double tolerance = 0.01 * voxel;
        for (int i = 0; i < 12; i++) {
            if (Math.abs(ai[i] - al[i]) > tolerance) {
                throw new SampleFileException(labels.header().file(), labels.header().affineSource(), "the image and"
                        + " its labels are placed differently in space (affines differ by " + Math.abs(ai[i] - al[i])
                        + " mm, more than 1% of a voxel): " + both + " cannot be aligned; resample the labels onto the"
                        + " image");
            }
        }
    }

    @Override
    public Sample load(SampleRef ref) throws IOException {
        Case c = byId.get(ref.patientId());
        if (c == null || ref.slice() == null) {
            throw new IllegalArgumentException(ref.name() + " is not a sample of " + dir);
        }
        Loaded l = loaded(c);
        int k = ref.slice();
        float[] image = l.image().axialSlice(k);
        int[] sides = l.image().canonicalSides();
        int plane = sides[0] * sides[1];
        boolean[] mask = new boolean[plane];
        for (int i = 0; i < plane; i++) {
            mask[i] = l.masks()[k * plane + i];
        }
        return new Sample(ref, image, new BinaryMask(sides[1], sides[0], mask), l.intensities());
    }

    private Loaded loaded(Case c) throws SampleFileException {
        synchronized (held) {
            Loaded l = held.get(c.id());
            if (l != null) {
                return l;
            }
        }
        NiftiVolume image = NiftiReader.read(c.image(), c.channel(), maxVoxels);
        NiftiVolume labels = NiftiReader.read(c.labels(), 0, maxVoxels);
        checkAligned(image.header(), image.orientation(), labels);
        int[] sides = labels.canonicalSides();
        int plane = sides[0] * sides[1];
        // the target of every slice, in display order: one pass, kept while the case is held
        boolean[] masks = new boolean[plane * sides[2]];
        for (int k = 0; k < sides[2]; k++) {
            float[] s = labels.axialSlice(k);
            for (int i = 0; i < plane; i++) {
                masks[k * plane + i] = target.contains((int) s[i]);
            }
        }
        Loaded l = new Loaded(image, masks, new VolumeIntensities(image.values()));
        synchronized (held) {
            held.put(c.id(), l);
        }
        return l;
    }

    /** The target as the scan found it: no volume is read. */
    @Override
    public BinaryMask target(SampleRef ref) throws IOException {
        CroppedMask m = targets.get(ref.name());
        return m != null ? m.expand() : load(ref).mask();
    }

    @Override
    public byte[] imageDigest(SampleRef ref) throws IOException {
        Case c = byId.get(ref.patientId());
        MessageDigest d = FileDigests.digest();
        d.update(digests.of(c.image()));
        d.update(("|channel=" + c.channel() + "|axial=" + ref.slice()).getBytes(StandardCharsets.UTF_8));
        return d.digest();
    }

    @Override
    public synchronized List<String> notes() {
        List<String> out = new ArrayList<>();
        StringBuilder o = new StringBuilder("orientations found:");
        orientations.forEach((code, n) -> o.append(' ').append(code).append(" (").append(n).append(n == 1 ? " file)"
                : " files)"));
        out.add(o + "; every volume is read in RAS+");
        out.add("labels present: " + (labelsPresent.isEmpty() ? "none" : labelsPresent.toString().replaceAll("[\\[\\]]",
                "")) + "; target: " + target);
        return Collections.unmodifiableList(out);
    }

    @Override
    public String toString() {
        return format + " " + dir + " (" + cases.size() + " cases)";
    }
}
