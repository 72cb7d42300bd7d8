package io.samtune.data;

import com.jmatio.io.MatFileReader;
import com.jmatio.types.MLArray;
import com.jmatio.types.MLChar;
import com.jmatio.types.MLInt16;
import com.jmatio.types.MLNumericArray;
import com.jmatio.types.MLStructure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A MATLAB level 5 file (as written by {@code save -v7}), decoded whole on open. */
final class V5MatContainer extends MatContainer {

    private final Map<String, MLArray> content;

    V5MatContainer(Path file) throws MatFileException {
        super(file);
        V5Budget.check(file, MatSliceReader.maxSide());
        try {
            this.content = new MatFileReader(file.toFile()).getContent();
        } catch (IOException | RuntimeException e) {
            throw new MatFileException(file, null, "cannot be read as a MATLAB v5 file: " + MatFileException.describe(e)
                    + "; the file is truncated or corrupt - re-download it", e);
        }
    }

    @Override
    MatFormat format() {
        return MatFormat.V5;
    }

    @Override
    List<String> variableNames() {
        return new ArrayList<>(content.keySet());
    }

    @Override
    List<String> fieldNames(String structPath) throws MatFileException {
        MLArray a = array(structPath);
        if (!(a instanceof MLStructure s)) {
            throw error(structPath, "is not a struct");
        }
        return new ArrayList<>(s.getFieldNames());
    }

    @Override
    MatVariable variable(String path) throws MatFileException {
        return new V5Variable(path, array(path));
    }

    private MLArray array(String path) throws MatFileException {
        String[] parts = path.split("\\.");
        MLArray a = content.get(parts[0]);
        if (a == null) {
            throw error(parts[0], "missing");
        }
        StringBuilder at = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            if (!(a instanceof MLStructure s)) {
                throw error(at.toString(), "is not a struct, so it has no field " + parts[i]);
            }
            at.append('.').append(parts[i]);
            if (!s.getFieldNames().contains(parts[i])) {
                throw error(at.toString(), "missing");
            }
            a = s.getField(parts[i]);
        }
        return a;
    }

    @Override
    public void close() {
        // everything was read on open
    }

    private final class V5Variable implements MatVariable {
        private final String path;
        private final MLArray a;

        V5Variable(String path, MLArray a) {
            this.path = path;
            this.a = a;
        }

        @Override
        public Path file() {
            return file;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String matlabClass() {
            if (a.isLogical()) {
                return "logical";
            }
            return switch (a.getType()) {
                case MLArray.mxDOUBLE_CLASS -> "double";
                case MLArray.mxSINGLE_CLASS -> "single";
                case MLArray.mxINT8_CLASS -> "int8";
                case MLArray.mxUINT8_CLASS -> "uint8";
                case MLArray.mxINT16_CLASS -> "int16";
                case MLArray.mxUINT16_CLASS -> "uint16";
                case MLArray.mxINT32_CLASS -> "int32";
                case MLArray.mxUINT32_CLASS -> "uint32";
                case MLArray.mxINT64_CLASS -> "int64";
                case MLArray.mxUINT64_CLASS -> "uint64";
                case MLArray.mxCHAR_CLASS -> "char";
                case MLArray.mxSTRUCT_CLASS -> "struct";
                case MLArray.mxCELL_CLASS -> "cell";
                default -> MLArray.typeToString(a.getType());
            };
        }

        @Override
        public int[] dimensions() {
            return a.getDimensions().clone();
        }

        @Override
        public boolean isEmpty() {
            return a.isEmpty() || a.getSize() == 0;
        }

        private MLNumericArray<?> numeric() throws MatFileException {
            if (a instanceof MLNumericArray<?> n) {
                return n;
            }
            throw error(path, "is " + matlabClass() + ", expected a numeric array");
        }

        @Override
        public double[] doubles() throws MatFileException {
            if (isEmpty()) {
                return new double[0];
            }
            MLNumericArray<?> n = numeric();
            double[] out = new double[n.getSize()];
            for (int i = 0; i < out.length; i++) {
                out[i] = n.get(i).doubleValue();
            }
            return out;
        }

        @Override
        public short[] int16s() throws MatFileException {
            if (!(a instanceof MLInt16 s)) {
                throw error(path, "is " + matlabClass() + ", expected int16");
            }
            short[] out = new short[s.getSize()];
            java.nio.ByteBuffer raw = s.getRealByteBuffer();
            if (raw != null && raw.capacity() == out.length * 2) {
                // one bulk copy instead of a boxed Short per pixel
                raw.duplicate().order(raw.order()).rewind().asShortBuffer().get(out);
                return out;
            }
            for (int i = 0; i < out.length; i++) {
                out[i] = s.get(i);
            }
            return out;
        }

        @Override
        public boolean[] logicals() throws MatFileException {
            if (isEmpty()) {
                return new boolean[0];
            }
            MLNumericArray<?> n = numeric();
            boolean[] out = new boolean[n.getSize()];
            java.nio.ByteBuffer raw = n.getRealByteBuffer();
            if (n.getType() == MLArray.mxUINT8_CLASS && raw != null && raw.capacity() == out.length) {
                java.nio.ByteBuffer b = raw.duplicate().rewind();
                for (int i = 0; i < out.length; i++) {
                    out[i] = MatVariable.bit(b.get(i), this);
                }
                return out;
            }
            for (int i = 0; i < out.length; i++) {
                out[i] = MatVariable.bit(n.get(i).doubleValue(), this);
            }
            return out;
        }

        @Override
        public String text() throws MatFileException {
            if (!(a instanceof MLChar c)) {
                throw error(path, "is " + matlabClass() + ", expected char");
            }
            if (isEmpty()) {
                return "";
            }
            return c.getString(0);
        }
    }
}
