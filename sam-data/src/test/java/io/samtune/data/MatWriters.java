package io.samtune.data;

import com.jmatio.io.MatFileWriter;
import com.jmatio.types.MLArray;
import com.jmatio.types.MLChar;
import com.jmatio.types.MLDouble;
import com.jmatio.types.MLInt16;
import com.jmatio.types.MLStructure;
import com.jmatio.types.MLUInt8;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableDataset;
import io.jhdf.api.WritableGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes slice files in both MATLAB formats from plain arrays, so tests can build every kind of bad
 * input from a good phantom slice. Fields are given in MATLAB terms (rows x cols).
 */
final class MatWriters {

    private MatWriters() {
    }

    /** The fields of a {@code cjdata} struct; null leaves a field out. */
    static final class Fields {
        short[][] image; // [rows][cols]
        Double label;
        String pid;
        double[] border;
        boolean[][] mask; // [rows][cols]
        byte[][] maskValues; // [rows][cols], when set: the mask's raw values (to write values other than 0/1)
        final Map<String, Object> extra = new LinkedHashMap<>();

        static Fields of(BrainTumorSlice s) {
            Fields f = new Fields();
            f.image = new short[s.height()][s.width()];
            f.mask = new boolean[s.height()][s.width()];
            for (int y = 0; y < s.height(); y++) {
                for (int x = 0; x < s.width(); x++) {
                    f.image[y][x] = s.image()[y * s.width() + x];
                    f.mask[y][x] = s.mask().pixels()[y * s.width() + x];
                }
            }
            f.label = (double) s.label().code();
            f.pid = s.patientId();
            f.border = Arrays.stream(s.border()).map(v -> v + 1).toArray();
            return f;
        }
    }

    /** Writes a MATLAB v5 file with struct {@code cjdata}. */
    static void writeV5(Path file, Fields f) throws IOException {
        MLStructure s = new MLStructure("cjdata", new int[] {1, 1});
        if (f.image != null) {
            s.setField("image", new MLInt16("image", f.image));
        }
        if (f.label != null) {
            s.setField("label", new MLDouble("label", new double[] {f.label}, 1));
        }
        if (f.pid != null) {
            s.setField("PID", new MLChar("PID", f.pid));
        }
        if (f.border != null) {
            s.setField("tumorBorder", new MLDouble("tumorBorder", f.border, 1));
        }
        if (f.mask != null) {
            byte[][] m = new byte[f.mask.length][f.mask[0].length];
            for (int r = 0; r < m.length; r++) {
                for (int c = 0; c < m[0].length; c++) {
                    m[r][c] = (byte) (f.mask[r][c] ? 1 : 0);
                }
            }
            MLUInt8 mask = new MLUInt8("tumorMask", m);
            s.setField("tumorMask", new MLUInt8("tumorMask", mask.getDimensions(), MLArray.mxUINT8_CLASS,
                    MLArray.mtFLAG_LOGICAL));
            MLUInt8 logical = (MLUInt8) s.getField("tumorMask");
            for (int r = 0; r < m.length; r++) {
                for (int c = 0; c < m[0].length; c++) {
                    logical.set(m[r][c], r, c);
                }
            }
        }
        List<MLArray> vars = new ArrayList<>();
        vars.add(s);
        new MatFileWriter(file.toFile(), vars);
    }

    /** Writes a MATLAB v5 file holding one variable. */
    static void writeV5Variable(Path file, MLArray variable) throws IOException {
        new MatFileWriter(file.toFile(), List.of(variable));
    }

    /**
     * Writes a v7.3-layout file: HDF5 with arrays transposed and each dataset tagged with its
     * {@code MATLAB_class}, as MATLAB does, but without MATLAB's 512-byte text header (jHDF cannot
     * write a user block); the phantoms cover the header.
     */
    static void writeV73(Path file, Fields f) throws IOException {
        Path hdf = Files.createTempFile(file.getParent(), "hdf", ".h5");
        try (WritableHdfFile w = HdfFile.write(hdf)) {
            WritableGroup g = w.putGroup("cjdata");
            g.putAttribute("MATLAB_class", "struct");
            if (f.image != null) {
                int rows = f.image.length;
                int cols = f.image[0].length;
                short[][] t = new short[cols][rows];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        t[c][r] = f.image[r][c];
                    }
                }
                tag(g.putDataset("image", t), "int16");
            }
            if (f.label != null) {
                tag(g.putDataset("label", new double[][] {{f.label}}), "double");
            }
            if (f.pid != null) {
                int[][] chars = new int[f.pid.length()][1];
                for (int i = 0; i < f.pid.length(); i++) {
                    chars[i][0] = f.pid.charAt(i);
                }
                tag(g.putDataset("PID", chars), "char");
            }
            if (f.border != null) {
                double[][] b = new double[f.border.length][1];
                for (int i = 0; i < f.border.length; i++) {
                    b[i][0] = f.border[i];
                }
                tag(g.putDataset("tumorBorder", b), "double");
            }
            if (f.mask != null) {
                int rows = f.mask.length;
                int cols = f.mask[0].length;
                byte[][] t = new byte[cols][rows];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        t[c][r] = f.maskValues != null ? f.maskValues[r][c] : (byte) (f.mask[r][c] ? 1 : 0);
                    }
                }
                tag(g.putDataset("tumorMask", t), "logical");
            }
            for (Map.Entry<String, Object> e : f.extra.entrySet()) {
                tag(g.putDataset(e.getKey(), e.getValue()), "double");
            }
        }
        Files.move(hdf, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void tag(WritableDataset d, String cls) {
        d.putAttribute("MATLAB_class", cls);
    }
}
