package io.samtune.data.png;

import io.samtune.data.BinaryMask;
import io.samtune.data.DatasetException;
import io.samtune.data.ErrorText;
import io.samtune.data.MatSliceReader;
import io.samtune.data.Sample;
import io.samtune.data.SampleFileException;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSource;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import io.samtune.data.io.FileDigests;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A folder of 2D slices: {@code images/NAME.png} (or {@code .jpg}/{@code .jpeg}; 8- or 16-bit, gray
 * or RGB, whose channels are averaged) with {@code masks/NAME.png} (any value above 0 is target).
 * The patient of each image comes from a CSV of {@code file,patient} rows ({@code --patients}) or,
 * without one, from the file name (each image its own patient). A sample's id is
 * {@code images/NAME.png}.
 */
public final class PngFolderSource implements SampleSource {

    private static final Logger LOG = LoggerFactory.getLogger(PngFolderSource.class);
    private static final long MAX_CSV_BYTES = 64L << 20;

    private final Path dir;
    private final SourceOptions options;
    private final FileDigests digests = new FileDigests();
    private final Map<String, Path> masks = new HashMap<>();

    /** A source over {@code dir/images} and {@code dir/masks}. */
    public PngFolderSource(Path dir, SourceOptions options) {
        this.dir = dir;
        this.options = options;
    }

    /** Whether a folder has the layout: {@code images/} and {@code masks/} sub-folders. */
    public static boolean matches(Path dir) {
        return Files.isDirectory(dir.resolve("images")) && Files.isDirectory(dir.resolve("masks"));
    }

    @Override
    public String format() {
        return "PNG";
    }

    @Override
    public Path location() {
        return dir;
    }

    @Override
    public SliceIndex scan(boolean skipInvalid) throws IOException {
        Path images = dir.resolve("images");
        List<Path> files;
        try (Stream<Path> s = Files.list(images)) {
            files = new ArrayList<>(s.filter(p -> image(p.getFileName().toString())).toList());
        }
        files.sort((a, b) -> SliceIndex.compareNatural(a.getFileName().toString(), b.getFileName().toString()));
        if (files.isEmpty()) {
            throw new DatasetException("dataset " + dir + ": images/ holds no .png, .jpg or .jpeg file");
        }
        Map<String, String> patients = options.patients() == null ? Map.of() : readPatients(options.patients());
        List<SampleRef> refs = new ArrayList<>();
        List<SampleFileException> bad = new ArrayList<>();
        int empty = 0;
        for (Path f : files) {
            String fileName = f.getFileName().toString();
            String stem = fileName.replaceFirst("\\.[^.]+$", "");
            Path mask = dir.resolve("masks").resolve(stem + ".png");
            try {
                if (!Files.isRegularFile(mask)) {
                    throw new SampleFileException(f, null, "has no mask: expected " + mask + " (PNG, any value > 0 is"
                            + " the target)");
                }
                float[][] m = read(mask);
                int h = m.length;
                int w = m[0].length;
                int[] size = size(f);
                if (size[0] != h || size[1] != w) {
                    throw new SampleFileException(mask, null, "is " + h + "x" + w + " but its image " + f + " is "
                            + size[0] + "x" + size[1] + "; a mask has its image's size");
                }
                int area = 0;
                for (float[] row : m) {
                    for (float v : row) {
                        area += v > 0 ? 1 : 0;
                    }
                }
                if (!options.allSlices() && area < options.minArea()) {
                    empty++;
                    continue;
                }
                String patient = patients.isEmpty() ? stem : patients.get(fileName) != null ? patients.get(fileName)
                        : patients.get(stem);
                if (patient == null) {
                    throw new SampleFileException(f, null, "is not listed in " + options.patients() + "; give every"
                            + " image a row 'file,patient'");
                }
                String name = "images/" + fileName;
                synchronized (masks) {
                    masks.put(name, mask);
                }
                refs.add(new SampleRef(this, name, patient, null, f, null, h, w, "png"));
            } catch (SampleFileException e) {
                bad.add(e);
            }
        }
        if (!bad.isEmpty() && !skipInvalid) {
            throw new DatasetException("dataset " + dir, bad);
        }
        bad.forEach(e -> LOG.warn("skipping {}", e.getMessage()));
        if (empty > 0) {
            LOG.info("{} images of {} have a mask smaller than {} pixels and are left out (--slices all keeps them)",
                    empty, dir, options.minArea());
        }
        if (refs.isEmpty() && !bad.isEmpty()) {
            throw new DatasetException("dataset " + dir + ": no usable image", bad);
        }
        if (refs.isEmpty()) {
            throw new DatasetException("dataset " + dir + ": no usable image with a target among " + files.size());
        }
        return SliceIndex.of(this, refs, bad);
    }

    private static boolean image(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
    }

    private static Map<String, String> readPatients(Path csv) throws DatasetException {
        try {
            if (!Files.isRegularFile(csv) || Files.size(csv) > MAX_CSV_BYTES) {
                throw new DatasetException("--patients " + csv + ": " + (Files.isRegularFile(csv) ? "is larger than 64 MiB"
                        : "is missing or not a regular file"));
            }
            Map<String, String> out = new HashMap<>();
            int line = 0;
            for (String l : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
                line++;
                if (l.isBlank() || (line == 1 && l.toLowerCase(Locale.ROOT).startsWith("file,"))) {
                    continue;
                }
                String[] p = l.split(",", -1);
                if (p.length != 2 || p[0].isBlank() || p[1].isBlank()) {
                    throw new DatasetException("--patients " + csv + ": line " + line + " is not 'file,patient': " + l);
                }
                out.put(p[0].trim().replaceFirst("^images/", ""), p[1].trim());
            }
            return out;
        } catch (DatasetException e) {
            throw e;
        } catch (IOException e) {
            throw new DatasetException("--patients " + csv + ": cannot be read (" + ErrorText.describe(e) + ")");
        }
    }

    @Override
    public Sample load(SampleRef ref) throws IOException {
        float[][] img = read(ref.file());
        int h = ref.height();
        int w = ref.width();
        if (img.length != h || img[0].length != w) {
            throw new SampleFileException(ref.file(), null, "changed size since the dataset was scanned");
        }
        float[] image = new float[h * w];
        for (int y = 0; y < h; y++) {
            System.arraycopy(img[y], 0, image, y * w, w);
        }
        return new Sample(ref, image, target(ref), null);
    }

    /** The target alone: only the mask file is read. */
    @Override
    public BinaryMask target(SampleRef ref) throws IOException {
        Path mask;
        synchronized (masks) {
            mask = masks.get(ref.name());
        }
        float[][] m = read(mask);
        int h = ref.height();
        int w = ref.width();
        if (m.length != h || m[0].length != w) {
            throw new SampleFileException(mask, null, "changed size since the dataset was scanned");
        }
        boolean[] target = new boolean[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                target[y * w + x] = m[y][x] > 0;
            }
        }
        return new BinaryMask(h, w, target);
    }

    @Override
    public byte[] imageDigest(SampleRef ref) throws IOException {
        return digests.of(ref.file());
    }

    /** An image's rows and columns from its header. */
    private static int[] size(Path file) throws SampleFileException {
        return decode(file, false).size;
    }

    /** Decodes an image to gray values (the channels' mean for colour), rows first. */
    static float[][] read(Path file) throws SampleFileException {
        return decode(file, true).values;
    }

    private record Decoded(int[] size, float[][] values) {
    }

    private static Decoded decode(Path file, boolean pixels) throws SampleFileException {
        if (!Files.isRegularFile(file)) {
            throw new SampleFileException(file, null, Files.exists(file) ? "is not a regular file" : "file not found");
        }
        int maxSide = MatSliceReader.maxSide();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new SampleFileException(file, null, "is not a PNG or JPEG image that Java can read");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w > maxSide || h > maxSide || w < 1 || h < 1) {
                    throw new SampleFileException(file, null, "the image is " + w + "x" + h + ", larger than " + maxSide
                            + " pixels a side; raise the limit with --max-image-side N if it is real");
                }
                if (!pixels) {
                    return new Decoded(new int[] {h, w}, null);
                }
                BufferedImage img = reader.read(0);
                return new Decoded(new int[] {h, w}, gray(img));
            } finally {
                reader.dispose();
            }
        } catch (SampleFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SampleFileException(file, null, "cannot decode the image (" + ErrorText.describe(e) + ")", e);
        }
    }

    private static float[][] gray(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        float[][] out = new float[h][w];
        Raster r = img.getRaster();
        boolean palette = img.getColorModel() instanceof java.awt.image.IndexColorModel;
        int bands = r.getNumBands();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (palette) {
                    int p = img.getRGB(x, y);
                    out[y][x] = (((p >> 16) & 0xff) + ((p >> 8) & 0xff) + (p & 0xff)) / 3f;
                } else if (bands >= 3) {
                    out[y][x] = (r.getSample(x, y, 0) + r.getSample(x, y, 1) + r.getSample(x, y, 2)) / 3f;
                } else {
                    out[y][x] = r.getSample(x, y, 0); // gray, or gray with alpha: the gray band
                }
            }
        }
        return out;
    }
}
