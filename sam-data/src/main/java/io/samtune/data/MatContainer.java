package io.samtune.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * An open MAT-file of either format; variables and struct fields are looked up by dotted path.
 * Read-only: nothing is ever written to the file or its folder.
 */
abstract class MatContainer implements AutoCloseable {

    /** Size of the MATLAB text header that starts every v5 and v7.3 file. */
    static final int HEADER_BYTES = 128;

    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    final Path file;

    MatContainer(Path file) {
        this.file = file;
    }

    /** Opens a file, detecting the format from its header. */
    static MatContainer open(Path file) throws MatFileException {
        MatFormat format = detectFormat(file);
        return format == MatFormat.V7_3 ? new HdfMatContainer(file) : new V5MatContainer(file);
    }

    /** The format of the open file. */
    abstract MatFormat format();

    /** Names of the top-level variables. */
    abstract List<String> variableNames() throws MatFileException;

    /**
     * The variable at a dotted path such as {@code cjdata} or {@code cjdata.image}.
     *
     * @throws MatFileException naming the path when it does not exist
     */
    abstract MatVariable variable(String path) throws MatFileException;

    /** Names of the fields of a struct variable. */
    abstract List<String> fieldNames(String structPath) throws MatFileException;

    @Override
    public abstract void close();

    /**
     * The MAT-file format, from the 128-byte header (a file starting with the HDF5 signature, as
     * h5py writes MATLAB-layout files, counts as v7.3): bytes 124-125 hold the version
     * ({@code 0x0100} for v5, {@code 0x0200} for v7.3) and bytes 126-127 the endian indicator.
     */
    static MatFormat detectFormat(Path file) throws MatFileException {
        byte[] head = new byte[HEADER_BYTES];
        int n;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            size = Files.size(file);
            n = in.readNBytes(head, 0, HEADER_BYTES);
        } catch (NoSuchFileException e) {
            throw new MatFileException(file, null, "file not found", e);
        } catch (IOException e) {
            throw new MatFileException(file, null, "cannot read the file: " + MatFileException.describe(e), e);
        }
        if (size == 0) {
            throw new MatFileException(file, null, "file is empty (0 bytes); it is not a MAT-file - re-download or re-export it");
        }
        if (n >= HDF5_SIGNATURE.length && java.util.Arrays.equals(head, 0, HDF5_SIGNATURE.length, HDF5_SIGNATURE,
                0, HDF5_SIGNATURE.length)) {
            return MatFormat.V7_3; // plain HDF5 with MATLAB's layout, e.g. written by h5py
        }
        String text = new String(head, 0, Math.min(n, 6), StandardCharsets.US_ASCII);
        if (!text.startsWith("MATLAB")) {
            throw new MatFileException(file, null, "not a MAT-file: it does not start with a MATLAB header"
                    + " (slices must be saved by MATLAB with save -v7.3 or -v7)");
        }
        if (n < HEADER_BYTES) {
            throw new MatFileException(file, null, "file is truncated: " + size
                    + " bytes is shorter than the 128-byte MAT-file header - re-download it");
        }
        boolean littleEndian = head[126] == 'I' && head[127] == 'M';
        boolean bigEndian = head[126] == 'M' && head[127] == 'I';
        if (!littleEndian && !bigEndian) {
            throw new MatFileException(file, null, "corrupt MAT-file header: no endian indicator at bytes 126-127");
        }
        int version = littleEndian ? (head[124] & 0xff) | (head[125] & 0xff) << 8
                : (head[125] & 0xff) | (head[124] & 0xff) << 8;
        if (version == 0x0200) {
            requireHdf5Signature(file, size);
            return MatFormat.V7_3;
        }
        if (version == 0x0100) {
            return MatFormat.V5;
        }
        throw new MatFileException(file, null, String.format("unsupported MAT-file version 0x%04x"
                + " (supported: v5 = 0x0100, v7.3 = 0x0200)", version));
    }

    private static void requireHdf5Signature(Path file, long size) throws MatFileException {
        byte[] sig = new byte[HDF5_SIGNATURE.length];
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(512);
            int n = in.readNBytes(sig, 0, sig.length);
            if (n == sig.length && java.util.Arrays.equals(sig, HDF5_SIGNATURE)) {
                return;
            }
        } catch (IOException e) {
            // fall through: a file too short to hold the signature is reported below
        }
        throw new MatFileException(file, null, "file says MATLAB v7.3 but holds no HDF5 data after its header ("
                + size + " bytes); it is truncated or corrupt - re-download it");
    }

    MatFileException error(String path, String problem) {
        return new MatFileException(file, path, problem);
    }
}
