package io.samtune.core.checkpoint;

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
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile checkpoints, made in code a few hundred bytes each: every size they claim is checked
 * before anything is allocated, so each is refused within seconds with a bounded message naming the
 * file, never an exception trace, a class name or "(null)".
 */
class HostileCheckpointTest {

    @TempDir
    Path tmp;

    static NDManager manager;

    @BeforeAll
    static void start() {
        Engines.pytorch();
        manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    private void refused(Path file, String expected) {
        long t0 = System.nanoTime();
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> SamCheckpoint.load(file, manager).close());
        assertThat(t).as("loading %s", file.getFileName()).isInstanceOf(CheckpointException.class);
        assertThat((System.nanoTime() - t0) / 1e9).as("seconds to refuse %s", file.getFileName()).isLessThan(10);
        assertThat(t.getMessage()).startsWith(file.toString()).contains(expected).doesNotContain("(null)")
                .doesNotContainPattern("[a-z]+\\.[a-z]+\\.[A-Z][A-Za-z]*(Exception|Error)");
        assertThat(t.getMessage().length()).as("message length").isLessThan(1000);
    }

    /** A torch.save zip: {@code archive/data.pkl} and storages {@code archive/data/KEY}. */
    private Path torchZip(String name, byte[] pickle, String storageKey, byte[] storage, boolean deflate)
            throws Exception {
        Path f = tmp.resolve(name);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            stored(z, "archive/data.pkl", pickle);
            if (storageKey != null) {
                if (deflate) {
                    z.putNextEntry(new ZipEntry("archive/data/" + storageKey));
                    z.write(storage);
                    z.closeEntry();
                } else {
                    stored(z, "archive/data/" + storageKey, storage);
                }
            }
        }
        return f;
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws Exception {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }

    /** Pickle bytes from opcodes written as text with {@code \\xNN} escapes. */
    private static byte[] pickle(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof byte[] b) {
                out.writeBytes(b);
            } else if (p instanceof Integer i) {
                out.write(i);
            } else {
                out.writeBytes(((String) p).getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        return out.toByteArray();
    }

    private static byte[] le(long v, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        return java.util.Arrays.copyOf(b.array(), bytes);
    }

    private static byte[] text(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return pickle(0x8c, b.length, b); // SHORT_BINUNICODE
    }

    /** A state dict {'w': tensor over storage '0' of {@code numel} floats, shape (numel,)}. */
    private static byte[] stateDict(long numel) {
        return stateDict(numel, numel);
    }

    /** A state dict {'w': tensor of shape (size,) over storage '0' of {@code numel} floats}. */
    private static byte[] stateDict(long numel, long size) {
        return pickle(0x80, 2, "}", text("w"), "ctorch._utils\n_rebuild_tensor_v2\n", "(",
                "(", text("storage"), "ctorch\nFloatStorage\n", text("0"), text("cpu"), "J", le(numel, 4), "t", "Q",
                "K", 0, "J", le(size, 4), 0x85, "K", 1, 0x85, 0x89, "ccollections\nOrderedDict\n", ")", "R",
                "t", "R", "s", ".");
    }

    @Test
    void aHandMadeStateDictLoads() throws Exception {
        // the generator is sound: the same layout with honest sizes reads back
        byte[] floats = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3)
                .putFloat(4).array();
        Path ok = torchZip("ok.pth", stateDict(4), "0", floats, false);
        try (StateDict sd = SamCheckpoint.load(ok, manager)) {
            assertThat(sd.get("w").toFloatArray()).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void storagesClaimingGigabytesAreRefusedBeforeAllocation() throws Exception {
        refused(torchZip("bomb.pth", stateDict(1 << 28), "0", new byte[1 << 16], true), "compression bomb");
        refused(torchZip("short.pth", stateDict(1 << 28), "0", new byte[16], false), "more than any SAM tensor");
        refused(torchZip("huge.pth", stateDict(Integer.MAX_VALUE), "0", new byte[16], false), "more than any SAM tensor");
        // within the per-tensor bound, the claim is still checked against the entry before anything is read
        refused(torchZip("claim.pth", stateDict(1 << 20), "0", new byte[16], false), "claims");
    }

    @Test
    void aStorageIsReadOnlyAsFarAsItsTensorsNeed() throws Exception {
        // a storage claiming 32 M floats (128 MB, inflating from a zip entry of some 130 kB) of which the tensor
        // views 10: 40 bytes are inflated and allocated, and the values are the storage's first ten
        int numel = 32 << 20;
        byte[] data = new byte[numel * 4];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1.5f).putFloat(36, -2f);
        Path f = torchZip("view.pth", stateDict(numel, 10), "0", data, true);
        data = null;
        try (StateDict sd = SamCheckpoint.load(f, manager)) {
            float[] v = sd.get("w").toFloatArray();
            assertThat(v).hasSize(10);
            assertThat(v[0]).isEqualTo(1.5f);
            assertThat(v[9]).isEqualTo(-2f);
        }
        // a view past its storage is refused before reading
        refused(torchZip("past.pth", stateDict(10, 11), "0", new byte[40], false), "reads element 10 of storage 0");
        // the bound can be lowered (or raised) for one process
        System.setProperty(TorchZip.MAX_TENSOR_BYTES_PROPERTY, "16");
        try {
            refused(torchZip("small.pth", stateDict(10, 10), "0", new byte[40], false), "-Dsamtune.maxTensorBytes=N");
        } finally {
            System.clearProperty(TorchZip.MAX_TENSOR_BYTES_PROPERTY);
        }
    }

    @Test
    void hostilePicklesAreRefused() throws Exception {
        refused(torchZip("empty.pth", new byte[0], null, null, false), "is empty");
        refused(torchZip("frame.pth", pickle(0x80, 4, 0x95, le(1L << 62, 8), "."), null, null, false), "a frame of");
        refused(torchZip("bytes.pth", pickle(0x80, 3, "B", le(Integer.MAX_VALUE, 4), "."), null, null, false),
                "a value of");
        refused(torchZip("marks.pth", pickle(0x80, 2, "(".repeat(5000), "."), null, null, false), "nested deeper");
        refused(torchZip("opcode.pth", pickle(0x80, 2, 0xff, "."), null, null, false), "unknown opcode");
        // ints where STACK_GLOBAL expects a module and a name
        refused(torchZip("global.pth", pickle(0x80, 4, "K", 1, "K", 2, 0x93, "."), null, null, false), "pickle");
        // a list that holds itself, used as a dict key: hashing it recurses forever
        refused(torchZip("self.pth", pickle(0x80, 2, "]", "q", 0, "h", 0, "a", "}", "h", 0, "N", "s", "."), null, null,
                false), "pickle");
        // a persistent id nested 40 levels, each level shared twice: printed whole it would be 2^40 items
        Object[] nested = new Object[2 + 40 * 2 + 2];
        int k = 0;
        nested[k++] = pickle(0x80, 2);
        nested[k++] = ")";
        for (int i = 0; i < 40; i++) {
            nested[k++] = "2";
            nested[k++] = pickle(0x86);
        }
        nested[k++] = "Q";
        nested[k] = ".";
        refused(torchZip("persid.pth", pickle(nested), null, null, false), "persistent id");
    }

    @Test
    void overlappingSafetensorsAreRefused() throws Exception {
        StringBuilder header = new StringBuilder("{");
        for (int i = 0; i < 3000; i++) {
            header.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[4],")
                    .append("\"data_offsets\":[0,16]}");
        }
        byte[] json = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("overlap.safetensors");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(json.length, 8));
        out.writeBytes(json);
        out.writeBytes(new byte[16]);
        Files.write(f, out.toByteArray());
        refused(f, "share bytes");
    }
}
