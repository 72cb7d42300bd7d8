package io.samtune.data.nifti;

import io.samtune.data.SampleFileException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The parts of a NIfTI-1 or NIfTI-2 header that reading a volume needs, checked: sides, data type,
 * where the voxels start, scaling and the voxel-to-world affine (sform, else qform, else the
 * ANALYZE default that nibabel uses).
 *
 * @param file the file the header came from
 * @param version 1 or 2
 * @param order byte order of the file
 * @param dims the sides {@code dim[1..ndim]}, at least three (a 3D volume is {@code [nx, ny, nz]};
 *     a 4D one adds the channel count)
 * @param datatype the NIfTI datatype code
 * @param voxOffset where the voxels start, bytes from the beginning of the (uncompressed) file
 * @param slope {@code scl_slope}, 1 when the file says none (0 or not finite)
 * @param intercept {@code scl_inter}, 0 when the file says none
 * @param affine row-major 3x4 voxel-to-world matrix (RAS+ millimetres)
 * @param affineSource where the affine came from: {@code sform}, {@code qform} or {@code none}
 */
public record NiftiHeader(Path file, int version, ByteOrder order, long[] dims, int datatype, long voxOffset,
                          double slope, double intercept, double[] affine, String affineSource) {

    /** Bytes in a NIfTI-1 header. */
    public static final int NIFTI1_SIZE = 348;
    /** Bytes in a NIfTI-2 header. */
    public static final int NIFTI2_SIZE = 540;
    /** The largest offset of the voxels accepted (extensions larger than this are refused), bytes. */
    public static final long MAX_VOX_OFFSET = 64L << 20;

    /** Bytes per value of each supported datatype code. */
    static final Map<Integer, Integer> BYTES = Map.of(2, 1, 4, 2, 8, 4, 16, 4, 64, 8, 256, 1, 512, 2, 768, 4,
            1024, 8, 1280, 8);

    private static final Map<Integer, String> NAMES = Map.of(2, "uint8", 4, "int16", 8, "int32", 16, "float32",
            64, "float64", 256, "int8", 512, "uint16", 768, "uint32", 1024, "int64", 1280, "uint64");

    /** The name of this header's datatype, e.g. {@code int16}. */
    public String typeName() {
        return NAMES.get(datatype);
    }

    /** Bytes per stored value. */
    public int bytesPerValue() {
        return BYTES.get(datatype);
    }

    /** Voxels in one 3D channel. */
    public long voxelsPerChannel() {
        return dims[0] * dims[1] * dims[2];
    }

    /** Number of channels (the fourth side; 1 for a 3D volume). */
    public int channels() {
        return dims.length > 3 ? (int) dims[3] : 1;
    }

    /** Whether the values are scaled ({@code scl_slope}/{@code scl_inter}). */
    public boolean scaled() {
        return slope != 1 || intercept != 0;
    }

    /**
     * Parses and checks a header: its first {@code 4} bytes decide the version and byte order.
     *
     * @param head the header's bytes: at least {@link #NIFTI1_SIZE} (NIfTI-1) or {@link #NIFTI2_SIZE} (NIfTI-2)
     * @param available how many bytes {@code head} holds
     * @throws SampleFileException naming the file and the field at fault
     */
    static NiftiHeader parse(Path file, byte[] head, int available) throws SampleFileException {
        if (available < 4) {
            throw new SampleFileException(file, null, "is not a NIfTI file: it holds only " + available + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(head, 0, available);
        b.order(ByteOrder.LITTLE_ENDIAN);
        int size = b.getInt(0);
        if (size != NIFTI1_SIZE && size != NIFTI2_SIZE) {
            b.order(ByteOrder.BIG_ENDIAN);
            size = b.getInt(0);
        }
        if (size != NIFTI1_SIZE && size != NIFTI2_SIZE) {
            throw new SampleFileException(file, null, "is not a NIfTI-1 or NIfTI-2 file (its first four bytes are not"
                    + " a header size of 348 or 540)");
        }
        if (available < size) {
            throw new SampleFileException(file, null, "ends inside its NIfTI header (" + available + " of " + size
                    + " bytes): the file is truncated");
        }
        return size == NIFTI1_SIZE ? parse1(file, b) : parse2(file, b);
    }

    private static NiftiHeader parse1(Path file, ByteBuffer b) throws SampleFileException {
        String magic = new String(new byte[] {b.get(344), b.get(345), b.get(346)}, StandardCharsets.US_ASCII);
        if (magic.equals("ni1")) {
            throw new SampleFileException(file, "magic", "is the header of a NIfTI pair (.hdr + .img), which is not"
                    + " read; convert it to a single .nii or .nii.gz file");
        }
        if (!magic.equals("n+1") || b.get(347) != 0) {
            throw new SampleFileException(file, "magic", "is not 'n+1': not a NIfTI-1 file");
        }
        long[] dim = new long[8];
        for (int i = 0; i < 8; i++) {
            dim[i] = b.getShort(40 + 2 * i);
        }
        int datatype = b.getShort(70);
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getFloat(76 + 4 * i);
        }
        double voxOffset = b.getFloat(108);
        double slope = b.getFloat(112);
        double inter = b.getFloat(116);
        int qformCode = b.getShort(252);
        int sformCode = b.getShort(254);
        double[] quat = {b.getFloat(256), b.getFloat(260), b.getFloat(264), b.getFloat(268), b.getFloat(272),
            b.getFloat(276)};
        double[] srow = new double[12];
        for (int i = 0; i < 12; i++) {
            srow[i] = b.getFloat(280 + 4 * i);
        }
        return build(file, 1, b.order(), dim, datatype, pixdim, voxOffset, slope, inter, qformCode, sformCode, quat,
                srow);
    }

    private static NiftiHeader parse2(Path file, ByteBuffer b) throws SampleFileException {
        byte[] m = new byte[8];
        for (int i = 0; i < 8; i++) {
            m[i] = b.get(4 + i);
        }
        if (!(m[0] == 'n' && m[1] == '+' && m[2] == '2' && m[3] == 0)) {
            throw new SampleFileException(file, "magic", (m[1] == 'i' ? "is the header of a NIfTI-2 pair (.hdr + .img),"
                    + " which is not read; convert it to a single .nii or .nii.gz file" : "is not 'n+2': not a NIfTI-2 file"));
        }
        int datatype = b.getShort(12);
        long[] dim = new long[8];
        for (int i = 0; i < 8; i++) {
            dim[i] = b.getLong(16 + 8 * i);
        }
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getDouble(104 + 8 * i);
        }
        double voxOffset = b.getLong(168);
        double slope = b.getDouble(176);
        double inter = b.getDouble(184);
        int qformCode = b.getInt(344);
        int sformCode = b.getInt(348);
        double[] quat = new double[6];
        for (int i = 0; i < 6; i++) {
            quat[i] = b.getDouble(352 + 8 * i);
        }
        double[] srow = new double[12];
        for (int i = 0; i < 12; i++) {
            srow[i] = b.getDouble(400 + 8 * i);
        }
        return build(file, 2, b.order(), dim, datatype, pixdim, voxOffset, slope, inter, qformCode, sformCode, quat,
                srow);
    }

    private static NiftiHeader build(Path file, int version, ByteOrder order, long[] dim, int datatype,
                                     double[] pixdim, double voxOffset, double slope, double inter, int qformCode,
                                     int sformCode, double[] quat, double[] srow) throws SampleFileException {
        long ndim = dim[0];
        if (ndim < 3 || ndim > 7) {
            throw new SampleFileException(file, "dim", "says " + ndim + " dimensions; a volume has 3 (or 4 with"
                    + " channels)" + (ndim == 2 ? ": use a PNG folder for 2D slices" : ""));
        }
        for (int i = 1; i <= ndim; i++) {
            if (dim[i] < 1) {
                throw new SampleFileException(file, "dim", "side " + i + " is " + dim[i] + "; every side must be >= 1");
            }
            if (i > 4 && dim[i] != 1) {
                throw new SampleFileException(file, "dim", "has " + ndim + " dimensions with side " + i + " = " + dim[i]
                        + "; only 3D volumes and 4D volumes of channels are read");
            }
        }
        long[] dims = ndim >= 4 && dim[4] > 1 ? new long[] {dim[1], dim[2], dim[3], dim[4]}
                : new long[] {dim[1], dim[2], dim[3]};
        if (!BYTES.containsKey(datatype)) {
            throw new SampleFileException(file, "datatype", "is " + datatype + ", which is not read (supported: "
                    + "int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64)");
        }
        if (!(voxOffset >= (version == 1 ? NIFTI1_SIZE : NIFTI2_SIZE)) || voxOffset != Math.floor(voxOffset)
                || voxOffset > MAX_VOX_OFFSET) {
            throw new SampleFileException(file, "vox_offset", "is " + voxOffset + "; the voxels of a single-file NIfTI"
                    + " start at a whole byte after the header and within " + (MAX_VOX_OFFSET >> 20) + " MiB");
        }
        // as nibabel: a slope of 0 or NaN means no scaling at all (the intercept too)
        boolean scaledFile = Double.isFinite(slope) && slope != 0;
        double s = scaledFile ? slope : 1;
        double c = scaledFile && Double.isFinite(inter) ? inter : 0;
        double[] affine;
        String source;
        if (sformCode > 0) {
            affine = srow;
            source = "sform";
        } else if (qformCode > 0) {
            affine = qform(quat, pixdim);
            source = "qform";
        } else {
            // nibabel's default for a header without sform or qform (ANALYZE): x flipped, origin at the centre
            double dx = nonZero(pixdim[1]);
            double dy = nonZero(pixdim[2]);
            double dz = nonZero(pixdim[3]);
            affine = new double[] {-dx, 0, 0, dx * (dim[1] - 1) / 2.0, 0, dy, 0, -dy * (dim[2] - 1) / 2.0, 0, 0, dz,
                -dz * (dim[3] - 1) / 2.0};
            source = "none";
        }
        for (double v : affine) {
            if (!Double.isFinite(v)) {
                throw new SampleFileException(file, source, "holds a value that is not finite; the volume's orientation"
                        + " is unknown");
            }
        }
        try {
            Orientation.of(affine);
        } catch (IllegalArgumentException e) {
            throw new SampleFileException(file, source, e.getMessage() + "; the volume's orientation is unknown");
        }
        return new NiftiHeader(file, version, order, dims, datatype, (long) voxOffset, s, c, affine, source);
    }

    private static double nonZero(double v) {
        return Double.isFinite(v) && v != 0 ? Math.abs(v) : 1;
    }

    /** The qform affine of the NIfTI standard: rotation from the quaternion, then pixdim, qfac and offset. */
    private static double[] qform(double[] q, double[] pixdim) {
        double b = q[0];
        double c = q[1];
        double d = q[2];
        double aa = 1 - (b * b + c * c + d * d);
        double a;
        if (aa < 1e-7) { // nibabel: a quaternion of length 1 is a 180 degree rotation; normalise
            double n = Math.sqrt(b * b + c * c + d * d);
            b /= n;
            c /= n;
            d /= n;
            a = 0;
        } else {
            a = Math.sqrt(aa);
        }
        double[] r = {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
            2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
            2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - b * b - c * c};
        double qfac = pixdim[0] < 0 ? -1 : 1;
        double[] z = {Math.abs(pixdim[1]), Math.abs(pixdim[2]), qfac * Math.abs(pixdim[3])};
        double[] out = new double[12];
        for (int row = 0; row < 3; row++) {
            for (int col = 0; col < 3; col++) {
                out[row * 4 + col] = r[row * 3 + col] * z[col];
            }
            out[row * 4 + 3] = q[3 + row];
        }
        return out;
    }
}
