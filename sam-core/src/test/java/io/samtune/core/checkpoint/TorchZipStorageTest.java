package io.samtune.core.checkpoint;

import io.samtune.core.io.Half;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.samtune.core.Engines;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code torch.save} files with float16 and bfloat16 storages, strided views and any archive
 * folder name, written here the way PyTorch pickles them.
 */
class TorchZipStorageTest {

    @TempDir
    Path tmp;

    /** A pickle of {@code OrderedDict(name -> _rebuild_tensor_v2(storage, offset, size, stride))}. */
    static byte[] pickle(String[] names, String storageType, int numel, int[][] sizes, int[][] strides) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(new byte[] {(byte) 0x80, 2});
        global(p, "collections", "OrderedDict");
        p.writeBytes(new byte[] {')', 'R', '('});
        for (int i = 0; i < names.length; i++) {
            unicode(p, names[i]);
            global(p, "torch._utils", "_rebuild_tensor_v2");
            p.write('(');
            p.write('(');
            unicode(p, "storage");
            global(p, "torch", storageType);
            unicode(p, "0");
            unicode(p, "cpu");
            p.writeBytes(new byte[] {'K', (byte) numel, 't', 'Q', 'K', 0});
            tuple(p, sizes[i]);
            tuple(p, strides[i]);
            p.write(0x89);
            global(p, "collections", "OrderedDict");
            p.writeBytes(new byte[] {')', 'R', 't', 'R'});
        }
        p.writeBytes(new byte[] {'u', '.'});
        return p.toByteArray();
    }

    private static void global(ByteArrayOutputStream p, String module, String name) {
        p.writeBytes(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void unicode(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        p.writeBytes(b);
    }

    private static void tuple(ByteArrayOutputStream p, int[] values) {
        p.write('(');
        for (int v : values) {
            p.writeBytes(new byte[] {'K', (byte) v});
        }
        p.write('t');
    }

    private Path zip(String folder, byte[] pkl, byte[] storage) throws Exception {
        Path f = tmp.resolve(folder + ".pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry(folder + "/data.pkl"));
            z.write(pkl);
            z.closeEntry();
            z.putNextEntry(new ZipEntry(folder + "/data/0"));
            z.write(storage);
            z.closeEntry();
            z.putNextEntry(new ZipEntry(folder + "/version"));
            z.write("3\n".getBytes(StandardCharsets.US_ASCII));
            z.closeEntry();
        }
        return f;
    }

    @Test
    void halfAndBfloat16StoragesAndStridedViews() throws Exception {
        float[] values = {1f, -2f, 0.5f, 3.25f, 65504f, 0x1p-24f};
        ByteBuffer half = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bf16 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            half.putShort(Half.fromFloat(v));
            bf16.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        String[] names = {"mask_decoder.a", "mask_decoder.a_transposed"};
        int[][] sizes = {{2, 3}, {3, 2}};
        int[][] strides = {{3, 1}, {1, 3}};
        Engines.pytorch();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH)) {
            try (StateDict sd = SamCheckpoint.load(zip("any_name_at_all", pickle(names, "HalfStorage", 6, sizes, strides),
                    half.array()), m)) {
                assertThat(sd.get("mask_decoder.a").toFloatArray()).containsExactly(values);
                assertThat(sd.get("mask_decoder.a_transposed").getShape().getShape()).containsExactly(3, 2);
                assertThat(sd.get("mask_decoder.a_transposed").toFloatArray())
                        .containsExactly(1f, 3.25f, -2f, 65504f, 0.5f, 0x1p-24f);
            }
            try (StateDict sd = SamCheckpoint.load(zip("bf", pickle(names, "BFloat16Storage", 6, sizes, strides),
                    bf16.array()), m)) {
                // bfloat16 keeps float32's exponent: these values are exact in it too
                assertThat(sd.get("mask_decoder.a").toFloatArray()).containsExactly(1f, -2f, 0.5f, 3.25f, 65280f, 0x1p-24f);
            }
        }
    }

    @Test
    void halfConversionsRoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = Half.toFloat(h);
            if (!Float.isNaN(f)) {
                assertThat(Half.fromFloat(f)).as("half 0x%04x", bits).isEqualTo(h);
            }
        }
        assertThat(Half.fromFloat(1e6f)).isEqualTo((short) 0x7c00);
        assertThat(Half.toFloat(Half.fromFloat(0.1f))).isEqualTo(0.0999755859375f);
    }
}
