package io.samtune.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Reads one slice file of the figshare brain tumour dataset: a MAT-file (v7.3 or v5, detected from
 * the header) holding struct {@code cjdata} with fields {@code image} (int16, H x W), {@code label}
 * (1, 2 or 3), {@code PID} (char), {@code tumorBorder} (row vector {@code [x1 y1 x2 y2 ...]},
 * 1-based) and {@code tumorMask} (logical, H x W).
 *
 * <p>Every problem is a {@link MatFileException} naming the file, the field and what is wrong.
 * The file is only read.
 */
public final class MatSliceReader {

    /** The largest image side accepted by default, checked before any pixel is allocated. */
    public static final int DEFAULT_MAX_SIDE = 4096;
    /** The system property that raises (or lowers) the largest image side accepted. */
    public static final String MAX_SIDE_PROPERTY = "samtune.maxImageSide";
    /** The most values of {@code tumorBorder} accepted (a border has a few hundred points). */
    static final long MAX_BORDER_VALUES = 1L << 20;
    /** The longest {@code PID} accepted, characters. */
    static final long MAX_PID_LENGTH = 256;

    /** The largest image side accepted, pixels: {@value #DEFAULT_MAX_SIDE} unless {@value #MAX_SIDE_PROPERTY} says more. */
    public static int maxSide() {
        String v = System.getProperty(MAX_SIDE_PROPERTY);
        if (v == null) {
            return DEFAULT_MAX_SIDE;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(MAX_SIDE_PROPERTY + " must be a whole number >= 1, got '" + v + "'");
    }

    /** Name of the struct holding a slice. */
    public static final String STRUCT = "cjdata";

    private MatSliceReader() {
    }

    /** The MATLAB format of a file, from its header. */
    public static MatFormat detectFormat(Path file) throws MatFileException {
        return MatContainer.detectFormat(file);
    }

    /**
     * Reads and validates a whole slice.
     *
     * @throws MatFileException if the file is not a readable MAT-file, lacks {@code cjdata} or one of
     *     its fields, has a field of the wrong type or shape, a label outside 1..3, or an empty mask
     */
    public static BrainTumorSlice read(Path file) throws MatFileException {
        try (MatContainer mat = MatContainer.open(file)) {
            Header h = header(mat);
            int height = h.height;
            int width = h.width;
            short[] image = mat.variable(STRUCT + ".image").int16sRowMajor();
            boolean[] mask = h.mask.logicalsRowMajor();
            BinaryMask tumorMask = new BinaryMask(height, width, mask);
            if (tumorMask.isEmpty()) {
                throw new MatFileException(file, STRUCT + ".tumorMask", "mask is empty (no tumour pixel);"
                        + " every slice needs an annotated tumour - fix the annotation or skip the file");
            }
            double[] border = border(mat, file);
            return new BrainTumorSlice(file, mat.format(), h.label, h.patientId, height, width, image, tumorMask, border);
        }
    }

    /**
     * Reads and validates everything but the pixels: label, patient, sizes and field types. For
     * v7.3 files the image and mask are not decoded.
     */
    public static SliceInfo readInfo(Path file) throws MatFileException {
        try (MatContainer mat = MatContainer.open(file)) {
            Header h = header(mat);
            return new SliceInfo(file, String.valueOf(file.getFileName()), mat.format(), h.label, h.patientId,
                    h.height, h.width);
        }
    }

    private record Header(TumorType label, String patientId, int height, int width, MatVariable mask) {
    }

    private static Header header(MatContainer mat) throws MatFileException {
        Path file = mat.file;
        List<String> vars = mat.variableNames();
        if (!vars.contains(STRUCT)) {
            throw new MatFileException(file, STRUCT, "missing: this is not a brain tumour slice file"
                    + " (variables found: " + (vars.isEmpty() ? "none" : String.join(", ", vars)) + ")");
        }
        MatVariable struct = mat.variable(STRUCT);
        if (!struct.matlabClass().equals("struct")) {
            throw new MatFileException(file, STRUCT, "is " + struct.matlabClass() + ", expected a struct");
        }
        List<String> fields = mat.fieldNames(STRUCT);
        for (String f : List.of("image", "label", "PID", "tumorBorder", "tumorMask")) {
            if (!fields.contains(f)) {
                throw new MatFileException(file, STRUCT + "." + f, "missing (fields found: "
                        + String.join(", ", fields) + ")");
            }
        }
        MatVariable image = mat.variable(STRUCT + ".image");
        if (!image.matlabClass().equals("int16")) {
            throw new MatFileException(file, image.path(), "is " + image.matlabClass() + ", expected int16");
        }
        int[] dims = image.dimensions();
        if (dims.length != 2 || image.isEmpty()) {
            throw new MatFileException(file, image.path(), "has shape " + shape(dims) + ", expected a 2-D H x W image");
        }
        int maxSide = maxSide();
        if (dims[0] > maxSide || dims[1] > maxSide) {
            throw new MatFileException(file, image.path(), "has shape " + shape(dims) + ", larger than "
                    + maxSide + " pixels a side; raise the limit with --max-image-side N (-D" + MAX_SIDE_PROPERTY
                    + "=N) if such slices are real");
        }
        MatVariable mask = mat.variable(STRUCT + ".tumorMask");
        if (!mask.isNumeric()) {
            throw new MatFileException(file, mask.path(), "is " + mask.matlabClass() + ", expected logical");
        }
        if (!Arrays.equals(mask.dimensions(), dims)) {
            throw new MatFileException(file, mask.path(), "has shape " + shape(mask.dimensions())
                    + " but cjdata.image is " + shape(dims) + "; the mask must match the image");
        }
        return new Header(label(mat, file), patientId(mat, file), dims[0], dims[1], mask);
    }

    private static TumorType label(MatContainer mat, Path file) throws MatFileException {
        MatVariable v = mat.variable(STRUCT + ".label");
        if (!v.isNumeric() || v.isEmpty()) {
            throw new MatFileException(file, v.path(), "is " + (v.isEmpty() ? "empty" : v.matlabClass())
                    + ", expected a number 1, 2 or 3");
        }
        if (count(v.dimensions()) != 1) {
            throw new MatFileException(file, v.path(), "has shape " + shape(v.dimensions())
                    + ", expected one number 1, 2 or 3");
        }
        double[] d = v.doubles();
        double x = d[0];
        if (x != 1 && x != 2 && x != 3) {
            throw new MatFileException(file, v.path(), "is " + x + ", expected 1 (meningioma), 2 (glioma)"
                    + " or 3 (pituitary)");
        }
        return TumorType.fromCode((int) x);
    }

    private static String patientId(MatContainer mat, Path file) throws MatFileException {
        MatVariable v = mat.variable(STRUCT + ".PID");
        if (!v.matlabClass().equals("char")) {
            throw new MatFileException(file, v.path(), "is " + v.matlabClass() + ", expected char");
        }
        if (count(v.dimensions()) > MAX_PID_LENGTH) {
            throw new MatFileException(file, v.path(), "has " + count(v.dimensions()) + " characters, more than the "
                    + MAX_PID_LENGTH + " a patient id may have");
        }
        String pid = v.text().trim();
        if (pid.isEmpty()) {
            throw new MatFileException(file, v.path(), "is empty; patient-level splits need a patient id");
        }
        return pid;
    }

    private static double[] border(MatContainer mat, Path file) throws MatFileException {
        MatVariable v = mat.variable(STRUCT + ".tumorBorder");
        if (v.isEmpty()) {
            return new double[0];
        }
        if (!v.isNumeric()) {
            throw new MatFileException(file, v.path(), "is " + v.matlabClass() + ", expected double");
        }
        if (v.rows() != 1 && v.cols() != 1) {
            throw new MatFileException(file, v.path(), "has shape " + shape(v.dimensions())
                    + ", expected a vector [x1 y1 x2 y2 ...]");
        }
        if (count(v.dimensions()) > MAX_BORDER_VALUES) {
            throw new MatFileException(file, v.path(), "has " + count(v.dimensions()) + " values, more than the "
                    + MAX_BORDER_VALUES + " a tumour border may have");
        }
        double[] d = v.doubles();
        if (d.length % 2 != 0) {
            throw new MatFileException(file, v.path(), "has " + d.length + " values, expected x, y pairs");
        }
        double[] out = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            if (!Double.isFinite(d[i])) {
                throw new MatFileException(file, v.path(), "holds a non-finite value at index " + i);
            }
            out[i] = d[i] - 1; // MATLAB pixels are 1-based
        }
        return out;
    }

    /** The number of values of a shape, without overflow. */
    static long count(int[] dims) {
        long n = 1;
        for (int d : dims) {
            n *= Math.max(0, d);
            if (n > Integer.MAX_VALUE) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    static String shape(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : "x").append(dims[i]);
        }
        return sb.toString();
    }
}
