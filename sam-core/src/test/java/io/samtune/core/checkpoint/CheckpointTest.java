package io.samtune.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.samtune.core.Engines;
import io.samtune.core.Reference;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    static NDManager manager;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        Engines.pytorch();
        manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void readsTheTorchZipCheckpoint() throws Exception {
        try (StateDict sd = SamCheckpoint.load(Reference.file("tiny-sam.pth"), manager)) {
            assertThat(sd.size()).isEqualTo(188);
            assertThat(sd.shape("image_encoder.pos_embed").getShape()).containsExactly(1, 8, 8, 48);
            assertThat(sd.keys()).containsAll(SamConfig.fromJson(Reference.file("tiny-sam-config.json"))
                    .expectedShapes().keySet());
            assertThat(sd.toString()).isEqualTo("StateDict[188 tensors, 177,702 parameters, image_encoder, mask_decoder,"
                    + " prompt_encoder]");
        }
    }

    @Test
    void safetensorsRoundTripKeepsEveryValue() throws Exception {
        Path out = tmp.resolve("tiny.safetensors");
        try (StateDict sd = SamCheckpoint.load(Reference.file("tiny-sam.pth"), manager)) {
            Map<String, String> meta = Map.of("note", "round trip");
            Safetensors.write(sd.tensors(), meta, out, false);
            assertThat(SamCheckpoint.detect(out)).isEqualTo(SamCheckpoint.Format.SAFETENSORS);
            Map<String, String> readMeta = new HashMap<>();
            try (StateDict back = SamCheckpoint.load(out, manager, readMeta)) {
                assertThat(readMeta).containsEntry("note", "round trip");
                assertThat(back.keys()).containsExactlyElementsOf(sd.keys());
                for (String k : sd.keys()) {
                    assertThat(back.get(k).toFloatArray()).as(k).containsExactly(sd.get(k).toFloatArray());
                    assertThat(back.shape(k)).isEqualTo(sd.shape(k));
                }
            }
            Path half = tmp.resolve("tiny-f16.safetensors");
            Safetensors.write(sd.tensors(), Map.of(), half, true);
            assertThat(Files.size(half)).isLessThan(Files.size(out));
            try (StateDict back = SamCheckpoint.load(half, manager)) {
                NDArray a = back.get("mask_decoder.iou_token.weight");
                NDArray b = sd.get("mask_decoder.iou_token.weight");
                assertThat(a.sub(b).abs().max().getFloat()).isLessThan(1e-3f);
            }
        }
        try (SamModel model = SamModel.load(out, null, Device.cpu())) {
            assertThat(model.hasImageEncoder()).isTrue();
        }
    }

    @Test
    void decoderOnlyFileLoadsOnTopOfAFullCheckpoint() throws Exception {
        Path decoder = tmp.resolve("decoder.safetensors");
        try (SamModel a = SamModel.load(Reference.file("tiny-sam.pth"), null, Device.cpu());
             SamModel b = SamModel.load(Reference.file("tiny-sam.pth"), null, Device.cpu())) {
            NDArray w = a.weights().get("mask_decoder.iou_token.weight");
            w.addi(1f);
            a.saveDecoder(decoder, Map.of());
            Map<String, String> meta = new HashMap<>();
            try (StateDict sd = SamCheckpoint.load(decoder, manager, meta)) {
                assertThat(sd.keys()).allMatch(k -> k.startsWith("mask_decoder."));
                assertThat(sd.size()).isEqualTo(a.config().decoderShapes().size());
                assertThat(meta).containsEntry("format", SamModel.DECODER_FORMAT).containsEntry("format_version", "1");
            }
            b.loadDecoder(decoder);
            assertThat(b.weights().get("mask_decoder.iou_token.weight").toFloatArray()).containsExactly(w.toFloatArray());

            // non-finite weights are refused on load, naming the tensor; the model keeps its own
            a.weights().get("mask_decoder.mask_tokens.weight").muli(Float.NaN);
            Path nan = tmp.resolve("nan.safetensors");
            a.saveDecoder(nan, Map.of());
            assertThatThrownBy(() -> b.loadDecoder(nan)).isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(nan.toString()).hasMessageContaining("mask_decoder.mask_tokens.weight")
                    .hasMessageContaining("not finite");
            assertThat(b.weights().get("mask_decoder.mask_tokens.weight").isNaN().any().getBoolean()).isFalse();
            Path full = tmp.resolve("full-nan.safetensors");
            Safetensors.write(a.weights().tensors(), Map.of(), full, false);
            assertThatThrownBy(() -> SamModel.load(full, a.config(), Device.cpu()))
                    .hasMessageContaining("mask_decoder.mask_tokens.weight").hasMessageContaining("not finite");
        }
    }

    @Test
    void wrongArchitectureNamesEveryProblem() throws Exception {
        CheckpointException e = catchThrowableOfType(CheckpointException.class,
                () -> SamModel.load(Reference.file("tiny-sam.pth"), SamConfig.vitB(), Device.cpu()));
        assertThat(e.getMessage()).contains("tiny-sam.pth").contains("does not fit the model: 126 missing, 0 unexpected,")
                .contains("shape of image_encoder.pos_embed: expected (1, 64, 64, 768), found (1, 8, 8, 48)")
                .contains("missing image_encoder.blocks.3.norm1.weight (768)")
                .contains("--config");

        try (SamModel tiny = SamModel.load(Reference.file("tiny-sam.pth"), null, Device.cpu())) {
            CheckpointException d = catchThrowableOfType(CheckpointException.class,
                    () -> tiny.loadDecoder(Reference.file("decoder-vitb-random.pth")));
            assertThat(d.getMessage()).contains("decoder-vitb-random.pth").contains("does not fit")
                    .contains("shape of mask_decoder.transformer.layers.0.self_attn.q_proj.weight: expected (32, 32), found (256, 256)");
        }
    }

    @Test
    void truncatedAndForeignFilesAreRejected() throws Exception {
        byte[] full = Files.readAllBytes(Reference.file("tiny-sam.pth"));
        Path cut = Files.write(tmp.resolve("cut.pth"), Arrays.copyOf(full, full.length / 2));
        CheckpointException e = catchThrowableOfType(CheckpointException.class, () -> SamCheckpoint.load(cut, manager));
        assertThat(e.getMessage()).contains("cut.pth").containsAnyOf("truncated", "corrupt");

        Path st = tmp.resolve("cut.safetensors");
        try (StateDict sd = SamCheckpoint.load(Reference.file("tiny-sam.pth"), manager)) {
            Safetensors.write(sd.tensors(), Map.of(), st, false);
        }
        byte[] stBytes = Files.readAllBytes(st);
        Files.write(st, Arrays.copyOf(stBytes, stBytes.length - 1000));
        CheckpointException s = catchThrowableOfType(CheckpointException.class, () -> SamCheckpoint.load(st, manager));
        assertThat(s.getMessage()).contains("truncated");

        Path text = Files.writeString(tmp.resolve("notes.pth"), "hello");
        assertThat(catchThrowableOfType(CheckpointException.class, () -> SamCheckpoint.load(text, manager)).getMessage())
                .contains("not a SAM checkpoint");

        Path legacy = Files.write(tmp.resolve("legacy.pth"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c});
        assertThat(catchThrowableOfType(CheckpointException.class, () -> SamCheckpoint.load(legacy, manager)).getMessage())
                .contains("legacy").contains("torch.save(torch.load(");

        assertThat(catchThrowableOfType(CheckpointException.class,
                () -> SamCheckpoint.load(tmp.resolve("absent.pth"), manager)).getMessage()).contains("not found");
    }

    @Test
    void disallowedGlobalsAreNeverExecuted() throws Exception {
        // GLOBAL 'os system', ('touch pwned',), REDUCE: what a malicious .pth would do under pickle.load
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(new byte[] {(byte) 0x80, 2});
        pkl.write("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        byte[] arg = "touch pwned".getBytes(StandardCharsets.US_ASCII);
        pkl.write('X');
        pkl.write(new byte[] {(byte) arg.length, 0, 0, 0});
        pkl.write(arg);
        pkl.write(new byte[] {(byte) 0x85, 'R', '.'});
        Path evil = tmp.resolve("evil.pth");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(evil))) {
            zip.putNextEntry(new ZipEntry("evil/data.pkl"));
            zip.write(pkl.toByteArray());
            zip.closeEntry();
        }
        CheckpointException e = catchThrowableOfType(CheckpointException.class, () -> SamCheckpoint.load(evil, manager));
        assertThat(e.getMessage()).contains("global 'os.system' is not allowed").contains("weights_only");
        assertThat(tmp.resolve("pwned")).doesNotExist();
    }
}
