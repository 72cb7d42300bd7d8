package io.samtune.cli.command;

import io.samtune.data.CommandResult;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.samtune.core.Engines;
import io.samtune.core.Reference;
import io.samtune.core.image.RgbImage;
import io.samtune.data.Fixtures;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code samtune predict} reproduces {@code tiny-sam-cases.npz} from the command line. */
class PredictCommandTest {

    static NDManager manager;
    static NDList cases;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        Engines.pytorch();
        manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH);
        cases = Reference.npz("tiny-sam-cases.npz", manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static CommandResult run(String... args) {
        return CommandResult.of(PredictCommand::run, args);
    }

    private Path png() throws Exception {
        NDArray img = cases.get("image");
        long[] s = img.getShape().getShape();
        RgbImage rgb = new RgbImage((int) s[0], (int) s[1], img.toType(DataType.UINT8, false).toByteArray());
        Path p = tmp.resolve("image.png");
        ImageIO.write(rgb.toBufferedImage(), "png", p.toFile());
        return p;
    }

    private List<String> base(Path image, Path out) {
        return new ArrayList<>(List.of("--checkpoint", Reference.file("tiny-sam.pth").toString(), "--config",
                Reference.file("tiny-sam-config.json").toString(), "--device", "cpu", "--image", image.toString(),
                "--out", out.toString()));
    }

    private static String csv(NDArray a) {
        double[] v = a.toType(DataType.FLOAT64, false).toDoubleArray();
        StringBuilder sb = new StringBuilder();
        for (double d : v) {
            sb.append(sb.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.17g", d));
        }
        return sb.toString();
    }

    private NDList read(Path npz) throws Exception {
        try (InputStream in = Files.newInputStream(npz)) {
            return NDList.decode(manager, in);
        }
    }

    @Test
    void boxPointAndBatchCasesFromTheCommandLine() throws Exception {
        Path image = png();
        Path out = tmp.resolve("box.npz");
        List<String> args = base(image, out);
        args.addAll(List.of("--box", csv(cases.get("box_point.box")), "--multimask"));
        double[] pc = cases.get("box_point.point_coords").toType(DataType.FLOAT64, false).toDoubleArray();
        double[] pl = cases.get("box_point.point_labels").toType(DataType.FLOAT64, false).toDoubleArray();
        for (int i = 0; i < pl.length; i++) {
            args.addAll(List.of("--point", pc[2 * i] + "," + pc[2 * i + 1] + "," + (int) pl[i]));
        }
        CommandResult r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        NDList got = read(out);
        Reference.assertClose(got.get("mask_logits").squeeze(0), cases.get("box_point_multi.mask_logits"));
        Reference.assertClose(got.get("iou_predictions").squeeze(0), cases.get("box_point_multi.iou_predictions"));
        Reference.assertClose(got.get("low_res_logits").squeeze(0), cases.get("box_point_multi.low_res_logits"));

        Path batch = tmp.resolve("boxes3.npz");
        List<String> bargs = base(image, batch);
        double[] b = cases.get("boxes3.boxes").toType(DataType.FLOAT64, false).toDoubleArray();
        for (int i = 0; i < 3; i++) {
            bargs.addAll(List.of("--box", b[4 * i] + "," + b[4 * i + 1] + "," + b[4 * i + 2] + "," + b[4 * i + 3]));
        }
        assertThat(run(bargs.toArray(String[]::new)).exit()).isZero();
        NDList g3 = read(batch);
        assertThat(g3.get("mask_logits").getShape().getShape()).containsExactly(3, 1, 96, 80);
        Reference.assertClose(g3.get("mask_logits"), cases.get("boxes3.mask_logits"));
        Reference.assertClose(g3.get("iou_predictions"), cases.get("boxes3.iou_predictions"));
    }

    @Test
    void maskInputFromAnNpyFile() throws Exception {
        Path image = png();
        Path npy = tmp.resolve("mask.npy");
        NDArray m = cases.get("box_mask.mask_input");
        Files.write(npy, npyBytes(m));
        Path out = tmp.resolve("mask.npz");
        List<String> args = base(image, out);
        args.addAll(List.of("--box", csv(cases.get("box.box")), "--mask-input", npy.toString()));
        CommandResult r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        Reference.assertClose(read(out).get("mask_logits").squeeze(0), cases.get("box_mask.mask_logits"));

        // the .npz predict itself wrote is a mask input too (its low_res_logits)
        Path again = tmp.resolve("again.npz");
        List<String> chained = base(image, again);
        chained.addAll(List.of("--box", csv(cases.get("box.box")), "--mask-input", out.toString()));
        CommandResult c = run(chained.toArray(String[]::new));
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(read(again).get("low_res_logits").getShape().getShape()).containsExactly(1, 1, 32, 32);

        Path bad = tmp.resolve("bad.npy");
        Files.writeString(bad, "not an array");
        List<String> badArgs = base(image, tmp.resolve("x.npz"));
        badArgs.addAll(List.of("--box", csv(cases.get("box.box")), "--mask-input", bad.toString()));
        CommandResult b = run(badArgs.toArray(String[]::new));
        assertThat(b.exit()).isEqualTo(1);
        assertThat(b.err()).contains(bad.toString()).doesNotContain("Exception").doesNotContain("\tat ");

        List<String> badConfig = base(image, tmp.resolve("y.npz"));
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"image_size\": ");
        badConfig.set(badConfig.indexOf("--config") + 1, broken.toString());
        badConfig.addAll(List.of("--box", csv(cases.get("box.box"))));
        CommandResult k = run(badConfig.toArray(String[]::new));
        assertThat(k.exit()).isEqualTo(2);
        assertThat(k.err()).contains("--config").contains(broken.toString()).doesNotContain("\tat ");
    }

    /** The {@code .npy} bytes of an array (the single entry of an {@code .npz}). */
    private static byte[] npyBytes(NDArray a) throws Exception {
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        new NDList(a).encode(bos, NDList.Encoding.NPZ);
        try (var zin = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(bos.toByteArray()))) {
            zin.getNextEntry();
            return zin.readAllBytes();
        }
    }

    @Test
    void sliceMatFileEndToEnd() throws Exception {
        Path out = tmp.resolve("slice.npz");
        List<String> args = base(Fixtures.phantoms().resolve("8.mat"), out);
        args.addAll(List.of("--box", "119,136,167,187"));
        CommandResult r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("Prediction[1 prompt(s) x 1 mask(s), 256x256");
        assertThat(read(out).get("mask_logits").getShape().getShape()).containsExactly(1, 1, 256, 256);
    }

    @Test
    void badInputsGetClearErrors() throws Exception {
        Path image = png();
        Path out = tmp.resolve("x.npz");
        List<String> a = base(image, out);
        a.addAll(List.of("--box", "1,2,3"));
        CommandResult bad = run(a.toArray(String[]::new));
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--box takes 4 comma-separated numbers, got '1,2,3'");

        List<String> none = base(image, out);
        assertThat(run(none.toArray(String[]::new)).err()).contains("give a prompt");

        List<String> missing = base(tmp.resolve("nope.png"), out);
        missing.addAll(List.of("--box", "1,2,3,4"));
        CommandResult m = run(missing.toArray(String[]::new));
        assertThat(m.exit()).isEqualTo(1);
        assertThat(m.err()).contains("nope.png: image file not found");

        List<String> ckpt = new ArrayList<>(List.of("--checkpoint", tmp.resolve("absent.pth").toString(), "--image",
                image.toString(), "--out", out.toString(), "--box", "1,2,3,4", "--device", "cpu"));
        CommandResult c = run(ckpt.toArray(String[]::new));
        assertThat(c.exit()).isEqualTo(1);
        assertThat(c.err()).contains("absent.pth: checkpoint file not found");
        assertThat(out).doesNotExist();

        // the format follows the extension: anything but .npz and .png is refused, nothing written
        for (String name : new String[] {"x.jpg", "x", "x.npy"}) {
            List<String> jpg = base(image, tmp.resolve(name));
            jpg.addAll(List.of("--box", "1,2,3,4"));
            CommandResult j = run(jpg.toArray(String[]::new));
            assertThat(j.exit()).as(name).isEqualTo(2);
            assertThat(j.err()).contains("--out " + tmp.resolve(name) + ": name it .npz").contains(".png");
            assertThat(tmp.resolve(name)).doesNotExist();
        }
    }

    @Test
    void imagesAndArraysClaimingHugeSizesAreRefusedBeforeDecoding() throws Exception {
        // a PNG whose header says 100000 x 100000 (the pixels would need 40 GB)
        byte[] png = Files.readAllBytes(png());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(png);
        b.putInt(16, 100_000).putInt(20, 100_000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, 12, 17); // IHDR type and data
        b.putInt(29, (int) crc.getValue());
        Path bomb = Files.write(tmp.resolve("bomb.png"), png);
        List<String> args = base(bomb, tmp.resolve("bomb.npz"));
        args.addAll(List.of("--box", "1,1,5,5"));
        CommandResult r = run(args.toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(bomb.toString()).contains("100000x100000").doesNotContain("\tat ");

        // an .npy whose header claims 100000 x 100000 floats over a few bytes of data
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }";
        header = header + " ".repeat(63 - (10 + header.length()) % 64) + "\n";
        java.io.ByteArrayOutputStream npy = new java.io.ByteArrayOutputStream();
        npy.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        npy.write(header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        npy.write(new byte[64]);
        Path claims = Files.write(tmp.resolve("claims.npy"), npy.toByteArray());
        List<String> m = base(png(), tmp.resolve("m.npz"));
        m.addAll(List.of("--box", "1,1,5,5", "--mask-input", claims.toString()));
        CommandResult mr = run(m.toArray(String[]::new));
        assertThat(mr.exit()).isEqualTo(1);
        assertThat(mr.err()).contains(claims.toString()).contains("100000, 100000").doesNotContain("\tat ");
    }

    @Test
    void aFineTunedDecoderPngMasksAndFolderMode() throws Exception {
        // a decoder that differs from the base: its predictions differ
        Path decoder = tmp.resolve("shifted.safetensors");
        try (io.samtune.core.SamModel m = io.samtune.core.SamModel.load(Reference.file("tiny-sam.pth"),
                io.samtune.core.SamConfig.fromJson(Reference.file("tiny-sam-config.json")), ai.djl.Device.cpu())) {
            m.weights().get("mask_decoder.output_upscaling.3.bias").addi(2f);
            m.saveDecoder(decoder, java.util.Map.of());
        }
        Path slice = Fixtures.phantoms().resolve("8.mat");
        Path base = tmp.resolve("base.npz");
        List<String> a = base(slice, base);
        a.addAll(List.of("--box", "119,136,167,187"));
        assertThat(run(a.toArray(String[]::new)).exit()).isZero();
        Path tunedNpz = tmp.resolve("tuned.npz");
        List<String> t = base(slice, tunedNpz);
        t.addAll(List.of("--box", "119,136,167,187", "--decoder", decoder.toString()));
        assertThat(run(t.toArray(String[]::new)).exit()).isZero();
        assertThat(read(tunedNpz).get("mask_logits").toFloatArray()).as("the fine-tuned decoder's logits")
                .isNotEqualTo(read(base).get("mask_logits").toFloatArray());

        Path tuned = tmp.resolve("tuned.png");
        Path overlay = tmp.resolve("overlay.png");
        List<String> b = base(slice, tuned);
        b.addAll(List.of("--box", "119,136,167,187", "--decoder", decoder.toString(), "--overlay", overlay.toString()));
        CommandResult r = run(b.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        java.awt.image.BufferedImage y = ImageIO.read(tuned.toFile());
        assertThat(y.getWidth()).isEqualTo(256);
        for (int yy = 0; yy < 256; yy++) {
            for (int xx = 0; xx < 256; xx++) {
                int v = y.getRGB(xx, yy) & 0xff;
                assertThat(v == 0 || v == 255).as("a mask picture holds 0 and 255").isTrue();
            }
        }
        assertThat(ImageIO.read(overlay.toFile()).getHeight()).isGreaterThan(256);

        Path folder = tmp.resolve("folder");
        List<String> f = new ArrayList<>(List.of("--checkpoint", Reference.file("tiny-sam.pth").toString(), "--config",
                Reference.file("tiny-sam-config.json").toString(), "--device", "cpu", "--data",
                Fixtures.demo().toString(), "--out", folder.toString(), "--prompt", "box"));
        CommandResult fr = run(f.toArray(String[]::new));
        assertThat(fr.exit()).as(fr.err()).isZero();
        List<String> rows = Files.readAllLines(folder.resolve("predictions.csv"));
        assertThat(rows.get(0)).isEqualTo("file,label,tumour,pid,dice,iou,predictedArea,truthArea");
        assertThat(rows).hasSize(1 + 13);
        assertThat(folder.resolve("1.png")).isRegularFile();
        assertThat(fr.out()).contains("13 slices, mean Dice");

        CommandResult both = run("--image", slice.toString(), "--data", Fixtures.demo().toString(), "--out",
                tmp.resolve("z").toString());
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("give --image FILE (one image) or --data DIR");
    }

    @Test
    void promptsOutsideTheImageAreRefused() throws Exception {
        List<String> args = base(png(), tmp.resolve("o.npz"));
        args.addAll(List.of("--box", "10,10,500,20"));
        CommandResult r = run(args.toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--box").contains("lies outside the 80x96 image");
    }
}
