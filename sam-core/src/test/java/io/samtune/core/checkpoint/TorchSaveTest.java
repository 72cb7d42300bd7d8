package io.samtune.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.Engines;
import io.samtune.core.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A state dict written in torch.save's zip format reads back exactly, through the same reader as PyTorch's own files. */
class TorchSaveTest {

    @TempDir
    Path tmp;

    @Test
    void aWrittenStateDictReadsBackBitEqualWithTorchsLayout() throws Exception {
        Engines.pytorch();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH)) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("a.weight", m.randomNormal(new Shape(300, 2)));   // a size above 255 and one below
            t.put("b.bias", m.randomNormal(new Shape(7)));
            t.put("c.scalar", m.create(new float[] {3.5f}, new Shape()));
            t.put("d.big", m.randomUniform(-1, 1, new Shape(70000)));  // a size above 65535
            t.put("e.rank4", m.randomNormal(new Shape(2, 3, 4, 5)));
            Path f = tmp.resolve("out.pth");
            TorchSave.write(t, "out", f);
            try (ZipFile zip = new ZipFile(f.toFile())) {
                List<String> names = zip.stream().map(ZipEntry::getName).toList();
                assertThat(names).containsExactly("out/data.pkl", "out/data/0", "out/data/1", "out/data/2",
                        "out/data/3", "out/data/4", "out/version", "out/byteorder");
                assertThat(zip.stream().allMatch(e -> e.getMethod() == ZipEntry.STORED)).isTrue();
                assertThat(new String(zip.getInputStream(zip.getEntry("out/version")).readAllBytes())).isEqualTo("3\n");
                assertThat(zip.getEntry("out/data/3").getSize()).isEqualTo(70000L * 4);
            }
            assertThat(SamCheckpoint.detect(f)).isEqualTo(SamCheckpoint.Format.TORCH_ZIP);
            try (StateDict back = SamCheckpoint.load(f, m)) {
                assertThat(back.keys()).containsExactlyInAnyOrderElementsOf(t.keySet());
                for (Map.Entry<String, NDArray> e : t.entrySet()) {
                    assertThat(back.shape(e.getKey())).isEqualTo(e.getValue().getShape());
                    assertThat(back.get(e.getKey()).toFloatArray()).as(e.getKey()).isEqualTo(e.getValue().toFloatArray());
                }
            }
        }
    }

    @Test
    void theBundledCheckpointWrittenAgainLoadsAsTheSameModel() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
             StateDict original = SamCheckpoint.load(Reference.file("tiny-sam.pth"), m)) {
            Path f = tmp.resolve("again.pth");
            TorchSave.write(original.tensors(), "again", f);
            try (StateDict back = SamCheckpoint.load(f, m)) {
                assertThat(back.keys()).isEqualTo(original.keys());
                for (String k : original.keys()) {
                    assertThat(back.get(k).toFloatArray()).as(k).isEqualTo(original.get(k).toFloatArray());
                }
            }
            assertThat(Files.size(f)).isGreaterThan(original.parameterCount() * 4);
        }
    }

    static String hex(long v) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        TorchSave.integer(b, v);
        return java.util.HexFormat.of().formatHex(b.toByteArray());
    }

    @Test
    void integersTakeTheSmallestPickleOpcode() {
        assertThat(hex(0)).isEqualTo("4b00");                     // BININT1
        assertThat(hex(255)).isEqualTo("4bff");
        assertThat(hex(256)).isEqualTo("4a00010000");             // BININT, little-endian
        assertThat(hex(-1)).isEqualTo("4affffffff");
        assertThat(hex(Integer.MAX_VALUE)).isEqualTo("4affffff7f");
        assertThat(hex(Integer.MIN_VALUE)).isEqualTo("4a00000080");
        assertThat(hex(1L << 31)).isEqualTo("8a080000008000000000"); // LONG1, 8 bytes
        assertThat(hex(Long.MIN_VALUE)).isEqualTo("8a080000000000000080");
    }

    @Test
    void thePickleNamesOnlyWhatTorchsSafeLoaderAllows() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH)) {
            byte[] p = TorchSave.pickle(Map.of("w", m.zeros(new Shape(2, 2))));
            String text = new String(p, java.nio.charset.StandardCharsets.ISO_8859_1);
            List<String> globals = new java.util.ArrayList<>();
            java.util.regex.Matcher g = java.util.regex.Pattern.compile("c([a-z_.]+)\n([A-Za-z_0-9]+)\n").matcher(text);
            while (g.find()) {
                globals.add(g.group(1) + "." + g.group(2));
            }
            assertThat(globals).containsOnly("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                    "torch.FloatStorage");
            assertThat(p[0] & 0xff).isEqualTo(0x80);
            assertThat(p[1]).isEqualTo((byte) 2);
            assertThat(p[p.length - 1]).isEqualTo((byte) '.');
        }
    }
}
