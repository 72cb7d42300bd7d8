package io.samtune.data;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.object.datatype.FixedPoint;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A MATLAB v7.3 file: HDF5 after a 512-byte header. MATLAB writes arrays transposed (HDF5
 * dimensions are MATLAB's reversed, so the flat data is MATLAB's column-major order), chars as
 * uint16, logicals as uint8, and marks each dataset's class in a {@code MATLAB_class} attribute.
 */
final class HdfMatContainer extends MatContainer {

    private static final long IN_MEMORY_LIMIT = 64L << 20;
    private static final ThreadLocal<Inflater> INFLATER = ThreadLocal.withInitial(Inflater::new);

    private final HdfFile hdf;

    HdfMatContainer(Path file) throws MatFileException {
        super(file);
        try {
            // A slice is ~250 KB: one read beats a memory map per chunk. Map only big files.
            this.hdf = Files.size(file) <= IN_MEMORY_LIMIT ? HdfFile.fromBytes(Files.readAllBytes(file))
                    : new HdfFile(file);
        } catch (IOException e) {
            throw new MatFileException(file, null, "cannot read the file: " + MatFileException.describe(e), e);
        } catch (RuntimeException e) {
            throw new MatFileException(file, null, "cannot be read as MATLAB v7.3 (HDF5): " + MatFileException.describe(e)
                    + "; the file is truncated or corrupt - re-download it", e);
        }
    }

    @Override
    MatFormat format() {
        return MatFormat.V7_3;
    }

    @Override
    List<String> variableNames() throws MatFileException {
        List<String> names = new ArrayList<>();
        try {
            for (String name : hdf.getChildren().keySet()) {
                if (!name.startsWith("#")) { // "#refs#" holds MATLAB's hidden reference targets
                    names.add(name);
                }
            }
        } catch (RuntimeException e) {
            throw corrupt(null, e);
        }
        return names;
    }

    @Override
    List<String> fieldNames(String structPath) throws MatFileException {
        Node node = node(structPath);
        if (!(node instanceof Group group)) {
            throw error(structPath, "is not a struct");
        }
        try {
            return new ArrayList<>(group.getChildren().keySet());
        } catch (RuntimeException e) {
            throw corrupt(structPath, e);
        }
    }

    @Override
    MatVariable variable(String path) throws MatFileException {
        Node node = node(path);
        if (node instanceof Group) {
            return new HdfVariable(path, "struct", new int[] {1, 1}, false, null);
        }
        Dataset ds = (Dataset) node;
        try {
            String cls = classOf(ds);
            int[] hdfDims = ds.getDimensions();
            boolean empty = isMatlabEmpty(ds);
            int[] dims = new int[Math.max(2, hdfDims.length)];
            java.util.Arrays.fill(dims, 1);
            if (empty) {
                java.util.Arrays.fill(dims, 0);
            } else {
                for (int i = 0; i < hdfDims.length; i++) {
                    dims[i] = hdfDims[hdfDims.length - 1 - i];
                }
            }
            return new HdfVariable(path, cls, dims, empty, ds);
        } catch (RuntimeException e) {
            throw corrupt(path, e);
        }
    }

    private Node node(String path) throws MatFileException {
        String[] parts = path.split("\\.");
        Node node = hdf;
        StringBuilder at = new StringBuilder();
        for (String part : parts) {
            if (!(node instanceof Group group)) {
                throw error(at.toString(), "is not a struct, so it has no field " + part);
            }
            Node child;
            try {
                child = group.getChildren().get(part);
            } catch (RuntimeException e) {
                throw corrupt(at.length() == 0 ? null : at.toString(), e);
            }
            if (at.length() > 0) {
                at.append('.');
            }
            at.append(part);
            if (child == null) {
                throw error(at.toString(), "missing");
            }
            node = child;
        }
        return node;
    }

    private static String classOf(Dataset ds) {
        Attribute a = ds.getAttribute("MATLAB_class");
        if (a == null) {
            return javaTypeClass(ds.getJavaType());
        }
        Object data = a.getData();
        return data instanceof String s ? s : String.valueOf(data);
    }

    private static String javaTypeClass(Class<?> type) {
        if (type == double.class || type == Double.class) {
            return "double";
        }
        if (type == float.class || type == Float.class) {
            return "single";
        }
        if (type == short.class || type == Short.class) {
            return "int16";
        }
        if (type == byte.class || type == Byte.class) {
            return "int8";
        }
        if (type == int.class || type == Integer.class) {
            return "int32";
        }
        if (type == long.class || type == Long.class) {
            return "int64";
        }
        return type.getSimpleName();
    }

    private static boolean isMatlabEmpty(Dataset ds) {
        Attribute a = ds.getAttribute("MATLAB_empty");
        if (a == null) {
            return false;
        }
        Object data = a.getData();
        return !(data instanceof Number n) || n.intValue() != 0;
    }

    private MatFileException corrupt(String path, RuntimeException e) {
        return new MatFileException(file, path, "cannot be read (" + MatFileException.describe(e)
                + "); the file is truncated or corrupt - re-download it", e);
    }

    @Override
    public void close() {
        hdf.close();
    }

    private final class HdfVariable implements MatVariable {
        private final String path;
        private final String cls;
        private final int[] dims;
        private final boolean empty;
        private final Dataset ds;

        HdfVariable(String path, String cls, int[] dims, boolean empty, Dataset ds) {
            this.path = path;
            this.cls = cls;
            this.dims = dims;
            this.empty = empty;
            this.ds = ds;
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
            return cls;
        }

        @Override
        public int[] dimensions() {
            return dims.clone();
        }

        @Override
        public boolean isEmpty() {
            return empty;
        }

        private Object flat() throws MatFileException {
            if (ds == null) {
                throw error(path, "is a struct, not an array");
            }
            if (empty) {
                return new double[0];
            }
            try {
                return ds.getDataFlat();
            } catch (RuntimeException e) {
                throw corrupt(path, e);
            }
        }

        @Override
        public double[] doubles() throws MatFileException {
            Object data = flat();
            if (data instanceof double[] d) {
                return d;
            }
            int n = Array.getLength(data);
            double[] out = new double[n];
            if (data instanceof float[] f) {
                for (int i = 0; i < n; i++) {
                    out[i] = f[i];
                }
            } else if (data instanceof short[] s) {
                for (int i = 0; i < n; i++) {
                    out[i] = s[i];
                }
            } else if (data instanceof byte[] b) {
                for (int i = 0; i < n; i++) {
                    out[i] = b[i];
                }
            } else if (data instanceof int[] a) {
                for (int i = 0; i < n; i++) {
                    out[i] = a[i];
                }
            } else if (data instanceof long[] l) {
                for (int i = 0; i < n; i++) {
                    out[i] = l[i];
                }
            } else {
                throw error(path, "holds " + data.getClass().getSimpleName() + " values, expected numbers");
            }
            return out;
        }

        @Override
        public short[] int16s() throws MatFileException {
            Object data = flat();
            if (data instanceof short[] s) {
                return s;
            }
            throw error(path, "holds " + data.getClass().getSimpleName() + " values, expected int16");
        }

        @Override
        public boolean[] logicals() throws MatFileException {
            Object data = flat();
            int n = Array.getLength(data);
            boolean[] out = new boolean[n];
            if (data instanceof byte[] b) {
                for (int i = 0; i < n; i++) {
                    out[i] = MatVariable.bit(b[i], this);
                }
            } else if (data instanceof short[] s) {
                for (int i = 0; i < n; i++) {
                    out[i] = MatVariable.bit(s[i], this);
                }
            } else if (data instanceof int[] a) {
                for (int i = 0; i < n; i++) {
                    out[i] = MatVariable.bit(a[i], this);
                }
            } else {
                double[] d = doubles();
                for (int i = 0; i < n; i++) {
                    out[i] = MatVariable.bit(d[i], this);
                }
            }
            return out;
        }

        @Override
        public short[] int16sRowMajor() throws MatFileException {
            byte[] out = chunkedRowMajor(2);
            if (out == null) {
                return MatVariable.super.int16sRowMajor();
            }
            short[] values = new short[out.length / 2];
            ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(values);
            return values;
        }

        @Override
        public boolean[] logicalsRowMajor() throws MatFileException {
            byte[] out = chunkedRowMajor(1);
            if (out == null) {
                return MatVariable.super.logicalsRowMajor();
            }
            boolean[] values = new boolean[out.length];
            int seen = 0;
            for (int i = 0; i < out.length; i++) {
                seen |= out[i];
                values[i] = out[i] != 0;
            }
            if ((seen & ~1) != 0) { // a value other than 0 and 1 somewhere: find and name it
                for (byte b : out) {
                    MatVariable.bit(b, this);
                }
            }
            return values;
        }

        /**
         * The fast path for MATLAB's chunked 2-D datasets: decompresses chunk by chunk and transposes
         * each chunk straight into row-major little-endian bytes, skipping jHDF's column-major copy.
         * Returns null when the dataset is not a chunked 2-D little-endian integer of this element size.
         */
        private byte[] chunkedRowMajor(int elementSize) throws MatFileException {
            if (!(ds instanceof ChunkedDataset cd) || empty
                    || !(ds.getDataType() instanceof FixedPoint fp)
                    || fp.getSize() != elementSize || fp.getByteOrder() != ByteOrder.LITTLE_ENDIAN) {
                return null;
            }
            int[] hdfDims = ds.getDimensions();
            int[] chunk = cd.getChunkDimensions();
            if (hdfDims.length != 2 || chunk.length != 2) {
                return null;
            }
            int w = hdfDims[0]; // HDF5 dimensions are MATLAB's reversed: [cols, rows]
            int h = hdfDims[1];
            int c0 = chunk[0];
            int c1 = chunk[1];
            // sizes from the file are checked before anything is allocated: a chunk of 0 would never
            // advance, a huge one would allocate gigabytes
            if (c0 < 1 || c1 < 1 || (long) c0 * c1 > Math.max((long) w * h, 1L << 16)) {
                throw new MatFileException(file, path, "has chunks of " + c1 + "x" + c0 + " for a " + h + "x" + w
                        + " image; the file is corrupt - re-download it");
            }
            byte[] out = new byte[Math.multiplyExact(w * h, elementSize)];
            List<int[]> offsets = new ArrayList<>();
            for (int o0 = 0; o0 < w; o0 += c0) {
                for (int o1 = 0; o1 < h; o1 += c1) {
                    offsets.add(new int[] {o0, o1});
                }
            }
            try {
                // Inflating dominates the cost of a slice; chunks are independent, so use every core.
                boolean deflateOnly = isDeflateOnly(cd);
                int chunkBytes = c0 * c1 * elementSize;
                boolean complete = offsets.parallelStream().allMatch(o -> {
                    byte[] b = deflateOnly ? inflate(cd.getRawChunkBuffer(o), chunkBytes) : cd.getDecompressedChunk(o);
                    if (b == null || b.length < chunkBytes) {
                        return false;
                    }
                    copyTransposed(b, o[0], o[1], Math.min(c0, w - o[0]), Math.min(c1, h - o[1]), c1, w,
                            elementSize, out);
                    return true;
                });
                if (!complete) {
                    return null;
                }
            } catch (RuntimeException e) {
                throw corrupt(path, e);
            }
            return out;
        }

        /** True when the chunks are compressed by deflate alone (what MATLAB writes). */
        private static boolean isDeflateOnly(ChunkedDataset cd) {
            var filters = cd.getFilters();
            return filters.size() == 1 && filters.get(0).getId() == 1;
        }

        /**
         * Inflates one chunk straight into an array of its known size with a per-thread Inflater,
         * skipping jHDF's growing output buffers; null when the data do not inflate to that size.
         */
        private static byte[] inflate(ByteBuffer compressed, int size) {
            Inflater inflater = INFLATER.get();
            inflater.reset();
            byte[] in;
            int off;
            int len = compressed.remaining();
            if (compressed.hasArray()) {
                in = compressed.array();
                off = compressed.arrayOffset() + compressed.position();
            } else {
                in = new byte[len];
                compressed.duplicate().get(in);
                off = 0;
            }
            inflater.setInput(in, off, len);
            byte[] out = new byte[size];
            try {
                int n = 0;
                while (n < size) {
                    int k = inflater.inflate(out, n, size - n);
                    if (k == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                        break;
                    }
                    n += k;
                }
                return n == size ? out : null;
            } catch (DataFormatException e) {
                throw new io.jhdf.exceptions.HdfException("corrupt deflate stream: " + e.getMessage(), e);
            }
        }

        /**
         * Copies one chunk (HDF5 order: {@code cols x chunkRows}, i.e. MATLAB column-major) into the
         * row-major output at column {@code o0}, row {@code o1}.
         */
        private static void copyTransposed(byte[] b, int o0, int o1, int cols, int rows, int chunkRows, int w,
                                           int elementSize, byte[] out) {
            int stride = chunkRows * elementSize;
            for (int j = 0; j < rows; j++) {
                int dst = ((o1 + j) * w + o0) * elementSize;
                int src = j * elementSize;
                if (elementSize == 1) {
                    for (int i = 0; i < cols; i++) {
                        out[dst + i] = b[src + i * stride];
                    }
                } else {
                    for (int i = 0; i < cols; i++) {
                        int s = src + i * stride;
                        int d = dst + i * 2;
                        out[d] = b[s];
                        out[d + 1] = b[s + 1];
                    }
                }
            }
        }

        @Override
        public String text() throws MatFileException {
            if (empty) {
                return "";
            }
            Object data = flat();
            StringBuilder sb = new StringBuilder();
            int n = Array.getLength(data);
            for (int i = 0; i < n; i++) {
                sb.append((char) ((Number) Array.get(data, i)).intValue());
            }
            return sb.toString();
        }
    }
}
