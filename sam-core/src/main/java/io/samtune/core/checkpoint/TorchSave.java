package io.samtune.core.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.samtune.core.io.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a state dict as {@code torch.save} does in its zip format: {@code <archive>/data.pkl} (a
 * protocol-2 pickle of an {@code OrderedDict} of {@code torch._utils._rebuild_tensor_v2} calls, one
 * persistent float32 storage per tensor), {@code <archive>/data/<key>} (the storages, little-endian,
 * uncompressed), {@code <archive>/version} and {@code <archive>/byteorder}. {@code torch.load} reads
 * it, also with {@code weights_only=True} (it names only {@code collections.OrderedDict},
 * {@code torch._utils._rebuild_tensor_v2} and {@code torch.FloatStorage}).
 */
public final class TorchSave {

    private TorchSave() {
    }

    /**
     * Writes {@code tensors} (in their order, as float32 on the CPU) to {@code file}, atomically.
     *
     * @param archive the folder name inside the zip ({@code torch.save} uses the file's stem)
     */
    public static void write(Map<String, NDArray> tensors, String archive, Path file) throws IOException {
        AtomicFiles.write(file, os -> {
            try (ZipOutputStream zip = new ZipOutputStream(nonClosing(os))) {
                zip.setMethod(ZipOutputStream.STORED);
                stored(zip, archive + "/data.pkl", pickle(tensors));
                int key = 0;
                for (NDArray a : tensors.values()) {
                    float[] v = a.toType(DataType.FLOAT32, false).toFloatArray();
                    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(v);
                    stored(zip, archive + "/data/" + key++, b.array());
                }
                stored(zip, archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
                stored(zip, archive + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            }
        });
    }

    /** The pickle of the state dict: storage {@code i} holds tensor {@code i}, offset 0, contiguous. */
    static byte[] pickle(Map<String, NDArray> tensors) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80); // PROTO 2
        p.write(2);
        global(p, "collections", "OrderedDict");
        p.write(')'); // EMPTY_TUPLE
        p.write('R'); // REDUCE: OrderedDict()
        p.write('('); // MARK
        int key = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            long[] shape = e.getValue().getShape().getShape();
            long numel = 1;
            for (long d : shape) {
                numel *= d;
            }
            unicode(p, e.getKey());
            global(p, "torch._utils", "_rebuild_tensor_v2");
            p.write('(');
            p.write('('); // the persistent id: ('storage', FloatStorage, key, 'cpu', numel)
            unicode(p, "storage");
            global(p, "torch", "FloatStorage");
            unicode(p, Integer.toString(key++));
            unicode(p, "cpu");
            integer(p, numel);
            p.write('t'); // TUPLE
            p.write('Q'); // BINPERSID
            integer(p, 0); // storage offset
            p.write('(');
            for (long d : shape) {
                integer(p, d);
            }
            p.write('t');
            p.write('(');
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= shape[i];
            }
            for (long s : strides) {
                integer(p, s);
            }
            p.write('t');
            p.write(0x89); // NEWFALSE: requires_grad
            global(p, "collections", "OrderedDict"); // backward hooks
            p.write(')');
            p.write('R');
            p.write('t');
            p.write('R'); // _rebuild_tensor_v2(...)
        }
        p.write('u'); // SETITEMS
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void global(ByteArrayOutputStream p, String module, String name) {
        p.write('c');
        p.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void unicode(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X'); // BINUNICODE
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        p.writeBytes(b);
    }

    static void integer(ByteArrayOutputStream p, long v) {
        if (v >= 0 && v < 256) {
            p.write('K'); // BININT1
            p.write((int) v);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            p.write('J'); // BININT
            p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        } else {
            p.write(0x8a); // LONG1, 8 bytes little-endian two's complement
            p.write(8);
            p.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static OutputStream nonClosing(OutputStream os) {
        return new java.io.FilterOutputStream(os) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
