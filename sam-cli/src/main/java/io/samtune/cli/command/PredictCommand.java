package io.samtune.cli.command;

import io.samtune.cli.option.ModelOptions;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.Engines;
import io.samtune.core.Prediction;
import io.samtune.core.Prompt;
import io.samtune.core.SamModel;
import io.samtune.core.SamPredictor;
import io.samtune.core.config.ModelConfig;
import io.samtune.core.io.AtomicFiles;
import io.samtune.core.image.IntensityWindow;
import io.samtune.core.image.RgbImage;
import io.samtune.data.BoxPrompt;
import io.samtune.data.MatSliceReader;
import io.samtune.data.PointPrompt;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune predict}: one image, one prompt (points plus at most one box) or a batch of
 * boxes, masks written to an {@code .npz}.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict masks with SAM (optionally a fine-tuned decoder): one image to .npz or .png, or every slice of a folder.",
        footer = {"", "Points plus at most one box form one prompt; several --box options (no points) form a batch.",
            "OUT.npz holds mask_logits (B, C, H, W), iou_predictions (B, C) and low_res_logits (B, C, h, w), float32;",
            "C = 3 with --multimask, else 1. OUT.png holds the first mask (255 = tumour).",
            "With --data DIR: every slice gets the prompt made from its own mask (--prompt); OUT is a folder of",
            "mask PNGs with predictions.csv (Dice and IoU against each slice's mask).",
            "Exit codes: 0 done; 1 unreadable input; 2 bad options."})
public final class PredictCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--image", paramLabel = "FILE", description = "PNG/JPEG (pixels used as they are) or a slice .mat (windowed to 8 bits).")
    Path image;

    @Option(names = "--data", paramLabel = "DIR", description = "A data folder (.mat slices, BraTS, Decathlon, PNG): predict every sample (folder mode).")
    Path data;

    @Mixin
    io.samtune.cli.option.SourceOptionGroup sourceOptions = new io.samtune.cli.option.SourceOptionGroup();

    @Option(names = "--prompt", paramLabel = "box|point|box+point", description = "Folder mode: the prompt made from each slice's mask (default: box).")
    io.samtune.core.PromptMode prompt = io.samtune.core.PromptMode.BOX;

    @Option(names = "--decoder", paramLabel = "FILE|RUN_DIR", description = "A fine-tuned decoder, or a train run folder (its decoder-best), on top of --checkpoint.")
    Path decoder;

    @Option(names = "--overlay", paramLabel = "FILE.png", description = "With a .mat --image: also draw the slice with its mask, the prediction and the prompt.")
    Path overlay;

    @Option(names = "--box", paramLabel = "x0,y0,x1,y1", description = "A box in image pixels (0-based, x = column); repeat for a batch.")
    List<String> boxes = new ArrayList<>();

    @Option(names = "--point", paramLabel = "x,y[,label]", description = "A point in image pixels; label 1 foreground (default) or 0 background.")
    List<String> points = new ArrayList<>();

    @Option(names = "--mask-input", paramLabel = "FILE.npy|.npz", description = "Low-res mask logits (h, w) from an earlier prediction: a .npy, or the .npz predict wrote.")
    Path maskInput;

    @Option(names = "--multimask", description = "Predict three candidate masks per prompt.")
    boolean multimask;

    @Option(names = "--window", paramLabel = "minmax|LOW,HIGH", description = "Intensity window for .mat slices: minmax or percentiles (default: ${DEFAULT-VALUE}).")
    String window = "minmax";

    @Option(names = "--out", required = true, paramLabel = "OUT.npz|OUT.png|DIR", description = "Where to write the masks.")
    Path out;

    /** Runs the command; returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new PredictCommand(), out, err, args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        List<BoxPrompt> boxList = new ArrayList<>();
        List<PointPrompt> pointList = new ArrayList<>();
        float[] mask = null;
        IntensityWindow win;
        ModelConfig modelConfig;
        try {
            for (String b : boxes) {
                double[] v = numbers(b, 4, 4, "--box");
                boxList.add(new BoxPrompt(v[0], v[1], v[2], v[3]));
            }
            for (String p : points) {
                double[] v = numbers(p, 2, 3, "--point");
                if (v.length == 3 && v[2] != 0 && v[2] != 1) {
                    throw new IllegalArgumentException("--point label must be 0 or 1, got " + p);
                }
                pointList.add(new PointPrompt(v[0], v[1], v.length < 3 || v[2] == 1));
            }
            if ((image == null) == (data == null)) {
                throw new IllegalArgumentException("give --image FILE (one image) or --data DIR (every slice of a folder)");
            }
            if (data != null && (!boxList.isEmpty() || !pointList.isEmpty() || maskInput != null || overlay != null)) {
                throw new IllegalArgumentException("--data makes each slice's prompt from its own mask (--prompt);"
                        + " --box, --point, --mask-input and --overlay are for --image");
            }
            String outName = out.getFileName() == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
            if (image != null && !outName.endsWith(".npz") && !outName.endsWith(".png")) {
                throw new IllegalArgumentException("--out " + out + ": name it .npz (masks, scores and low-res logits) or"
                        + " .png (the best mask as a picture); the format follows the extension");
            }
            if (data == null && boxList.isEmpty() && pointList.isEmpty() && maskInput == null) {
                throw new IllegalArgumentException("give a prompt: --box, --point or --mask-input");
            }
            if (boxList.size() > 1 && (!pointList.isEmpty() || maskInput != null)) {
                throw new IllegalArgumentException("several --box options form a batch and cannot be combined with"
                        + " --point or --mask-input; give one box with points");
            }
            win = IntensityWindow.parse(window);
            ModelConfig.Builder mb = model.apply(null, spec);
            io.samtune.core.SamConfig recorded = model.hasConfig() ? null : runSizes(decoder);
            if (recorded != null) { // the run knows its model's sizes: they win over what the file suggests
                mb.optSizes(recorded);
            }
            modelConfig = mb.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (data != null) {
            return predictFolder(modelConfig, win, err);
        }
        RgbImage rgb;
        try {
            rgb = readImage(image, win);
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        for (BoxPrompt b : boxList) {
            if (b.x0() < 0 || b.y0() < 0 || b.x1() > rgb.width() - 1 || b.y1() > rgb.height() - 1) {
                throw Commands.badOption(spec, String.format(Locale.ROOT, "--box %s lies outside the %dx%d image"
                        + " (0-based pixels, x = column: 0..%d, y = row: 0..%d)", b, rgb.width(), rgb.height(),
                        rgb.width() - 1, rgb.height() - 1));
            }
        }
        for (PointPrompt pt : pointList) {
            if (pt.x() < 0 || pt.y() < 0 || pt.x() > rgb.width() - 1 || pt.y() > rgb.height() - 1) {
                throw Commands.badOption(spec, String.format(Locale.ROOT, "--point %s lies outside the %dx%d image",
                        pt, rgb.width(), rgb.height()));
            }
        }
        try (SamModel sam = modelConfig.load(); SamPredictor predictor = sam.newPredictor()) {
            loadDecoder(sam);
            if (maskInput != null) {
                mask = readMaskInput(maskInput, sam);
            }
            predictor.setImage(rgb);
            Prediction p = boxList.size() > 1 ? predictor.predictBoxes(boxList, multimask)
                    : predictor.predict(new Prompt(pointList, boxList.isEmpty() ? null : boxList.get(0), mask), multimask);
            if (out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
                io.samtune.eval.ReportFigures.writePng(io.samtune.eval.ReportFigures.maskPicture(p.mask()), out);
            } else {
                write(p, out, sam.manager());
            }
            if (overlay != null) {
                if (!image.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".mat")) {
                    err.println("warning: --overlay needs a slice .mat (its mask is drawn too); none written");
                } else {
                    io.samtune.data.Sample slice = io.samtune.data.figshare.FigshareSource.read(image);
                    io.samtune.eval.ReportFigures.writePng(io.samtune.eval.ReportFigures.overlay(slice, p.mask(),
                            new Prompt(pointList, boxList.isEmpty() ? null : boxList.get(0), null),
                            String.format(Locale.ROOT, "%s | Dice %.3f", image.getFileName(), p.mask().dice(slice.mask()))),
                            overlay);
                }
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "%s -> %s%n", p, out);
            return 0;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /** The model sizes a {@code --decoder} run folder recorded in its run.json, or null. */
    static io.samtune.core.SamConfig runSizes(Path decoder) {
        if (decoder == null || !java.nio.file.Files.isDirectory(decoder)) {
            return null;
        }
        Path run = decoder.resolve(io.samtune.train.RunDirectory.RUN);
        if (!java.nio.file.Files.isRegularFile(run)) {
            return null;
        }
        try {
            com.google.gson.JsonElement json = io.samtune.data.StrictJson.read(run);
            if (json.isJsonObject() && json.getAsJsonObject().has("model")
                    && json.getAsJsonObject().get("model").isJsonObject()) {
                return io.samtune.core.SamConfig.fromJson(json.getAsJsonObject().getAsJsonObject("model"));
            }
            return null;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--decoder " + decoder + ": its " + run.getFileName()
                    + " cannot be read (" + e.getMessage() + "); give the sizes with --config");
        }
    }

    private void loadDecoder(SamModel sam) throws IOException {
        if (decoder == null) {
            return;
        }
        sam.loadDecoder(decoderFile(decoder));
    }

    /** The decoder file of a {@code --decoder}: the file itself, or a run folder's decoder-best. */
    static Path decoderFile(Path decoder) throws IOException {
        Path f = java.nio.file.Files.isDirectory(decoder) ? decoder.resolve(io.samtune.train.RunDirectory.DECODER_BEST)
                : decoder;
        if (!java.nio.file.Files.isRegularFile(f)) {
            throw new IOException("--decoder " + decoder + ": " + (java.nio.file.Files.isDirectory(decoder)
                    ? "not a train run folder (no " + io.samtune.train.RunDirectory.DECODER_BEST + ")" : "file not found"));
        }
        return f;
    }

    /** Folder mode: every slice with the prompt from its mask; mask PNGs and predictions.csv in {@code out}. */
    private int predictFolder(ModelConfig modelConfig, IntensityWindow win, PrintWriter err) throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        try (SamModel sam = modelConfig.load(); SamPredictor predictor = sam.newPredictor()) {
            loadDecoder(sam);
            io.samtune.data.SampleSource source = io.samtune.data.SampleSources.open(data, sourceOptions.toOptions());
            io.samtune.data.SliceIndex index = source.scan(true);
            err.println("reading " + source.format() + " data in " + data);
            index.skipped().forEach(e -> err.println("skipped: " + e.getMessage()));
            java.nio.file.Files.createDirectories(out);
            StringBuilder csv = new StringBuilder("file,label,tumour,pid,dice,iou,predictedArea,truthArea\n");
            Counter counter = new Counter(err, "predicting slices", index.size());
            double diceSum = 0;
            for (int i = 0; i < index.size(); i++) {
                io.samtune.data.SampleRef info = index.info(i);
                io.samtune.data.Sample slice = info.load();
                predictor.setImage(slice, win);
                io.samtune.data.BinaryMask m = predictor.predict(prompt.promptFor(slice), false).mask();
                String stem = info.name().replaceAll("\\.(mat|png|jpe?g)$", "");
                Path png = out.resolve(stem + ".png");
                java.nio.file.Files.createDirectories(png.getParent());
                io.samtune.eval.ReportFigures.writePng(io.samtune.eval.ReportFigures.maskPicture(m), png);
                double dice = m.dice(slice.mask());
                diceSum += dice;
                io.samtune.data.TumorType type = info.tumorType();
                csv.append(info.name()).append(',').append(type == null ? "" : Integer.toString(type.code())).append(',')
                        .append(type == null ? "" : type.displayName()).append(',').append(info.patientId()).append(',')
                        .append(dice).append(',').append(m.iou(slice.mask())).append(',').append(m.area()).append(',')
                        .append(slice.mask().area()).append('\n');
                counter.accept(i + 1);
            }
            counter.finish();
            io.samtune.core.io.AtomicFiles.writeString(out.resolve("predictions.csv"), csv.toString());
            o.printf(Locale.ROOT, "%d slices, mean Dice %.4f (%s prompt) -> %s (masks, predictions.csv)%n", index.size(),
                    diceSum / index.size(), prompt, out);
            return 0;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    static RgbImage readImage(Path file, IntensityWindow window) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": image file not found");
        }
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".mat")) {
            return SamModel.toRgb(io.samtune.data.figshare.FigshareSource.read(file), window);
        }
        return RgbImage.read(file);
    }

    /**
     * Low-res mask logits from a {@code .npy} array, or from the {@code low_res_logits} of an
     * {@code .npz} that {@code samtune predict} wrote.
     */
    private static float[] readMaskInput(Path file, SamModel sam) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("--mask-input " + file + ": file not found");
        }
        checkArraySizes(file);
        try (NDManager m = sam.manager().newSubManager(); InputStream in = Files.newInputStream(file)) {
            NDArray a;
            try {
                NDList list = NDList.decode(m, in);
                a = list.size() == 1 ? list.get(0) : list.get("low_res_logits");
                if (a == null) {
                    throw new IOException(file + ": holds " + list.size() + " arrays and none named low_res_logits;"
                            + " give one low-res mask (.npy) or the .npz that samtune predict wrote");
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IOException(file + ": not a .npy or .npz array file: " + e.getMessage(), e);
            }
            int side = sam.config().lowResMaskSize();
            if (a.size() != (long) side * side) {
                throw new IOException(file + ": mask input has shape " + a.getShape() + ", expected (" + side + ", "
                        + side + ") low-res logits for this model" + (a.size() % ((long) side * side) == 0
                        ? " (it holds " + a.size() / ((long) side * side) + " masks: predict without --multimask)" : ""));
            }
            return a.toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    /** Low-res logits are a few hundred KB; more is refused before anything is decoded. */
    private static final long MAX_MASK_INPUT_VALUES = 1L << 22;

    /** Checks the shapes the {@code .npy} headers of a mask input claim, before anything is allocated. */
    private static void checkArraySizes(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(4);
        }
        if (head.length == 4 && head[0] == 'P' && head[1] == 'K') {
            try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(file.toFile())) {
                for (var e : java.util.Collections.list(zip.entries())) {
                    try (InputStream in = zip.getInputStream(e)) {
                        checkNpyHeader(in, file + " (" + e.getName() + ")");
                    }
                }
            } catch (java.util.zip.ZipException e) {
                throw new IOException(file + ": not a readable .npz archive", e);
            }
        } else {
            try (InputStream in = Files.newInputStream(file)) {
                checkNpyHeader(in, file.toString());
            }
        }
    }

    private static void checkNpyHeader(InputStream in, String where) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || magic[1] != 'N' || magic[2] != 'U') {
            throw new IOException(where + ": not a .npy array (no NUMPY magic)");
        }
        byte[] len = in.readNBytes(magic[6] == 1 ? 2 : 4);
        long headerLen = 0;
        for (int i = len.length - 1; i >= 0; i--) {
            headerLen = headerLen << 8 | (len[i] & 0xff);
        }
        if (headerLen > 65536) {
            throw new IOException(where + ": a .npy header of " + headerLen + " bytes; the file is corrupt");
        }
        String header = new String(in.readNBytes((int) headerLen), java.nio.charset.StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("'shape':\\s*\\(([^)]*)\\)").matcher(header);
        if (!m.find()) {
            throw new IOException(where + ": the .npy header names no shape");
        }
        long n = 1;
        for (String d : m.group(1).split(",")) {
            if (d.isBlank()) {
                continue;
            }
            try {
                n = Math.multiplyExact(n, Long.parseLong(d.trim().replace("L", "")));
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IOException(where + ": the .npy shape (" + m.group(1) + ") is not a shape");
            }
        }
        if (n > MAX_MASK_INPUT_VALUES) {
            throw new IOException(where + ": the array claims shape (" + m.group(1).trim() + "), " + n + " values;"
                    + " a low-res mask input has 256x256");
        }
    }

    static void write(Prediction p, Path file, NDManager parent) throws IOException {
        try (NDManager m = parent.newSubManager()) {
            NDArray logits = m.create(p.maskLogits(), new Shape(p.batch(), p.channels(), p.height(), p.width()));
            logits.setName("mask_logits");
            NDArray iou = m.create(p.iouPredictions(), new Shape(p.batch(), p.channels()));
            iou.setName("iou_predictions");
            NDArray low = m.create(p.lowResLogits(), new Shape(p.batch(), p.channels(), p.lowResSize(), p.lowResSize()));
            low.setName("low_res_logits");
            NDList list = new NDList(logits, iou, low);
            AtomicFiles.write(file, os -> list.encode(os, NDList.Encoding.NPZ));
        }
    }

    private static double[] numbers(String s, int min, int max, String option) {
        String[] parts = s.split(",");
        if (parts.length < min || parts.length > max) {
            throw new IllegalArgumentException(option + " takes " + (min == max ? min : min + " or " + max)
                    + " comma-separated numbers, got '" + s + "'");
        }
        double[] v = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " '" + s + "': '" + parts[i] + "' is not a number");
            }
        }
        return v;
    }
}
