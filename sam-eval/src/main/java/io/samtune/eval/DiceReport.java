package io.samtune.eval;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.core.io.AtomicFiles;
import io.samtune.data.TumorType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checkpoints compared on the same slices and prompts: a table, {@code report.json} and
 * {@code per-slice.csv}. Pictures are drawn by {@link ReportFigures}.
 *
 * @param results one entry per checkpoint, the base model first
 * @param prompt the prompt kind used
 * @param split the part of the dataset scored
 * @param basis why these slices: where the data folder and split came from (a run's {@code run.json}
 *     or the options), and any option that overrode a run's setting
 */
public record DiceReport(List<CheckpointScores> results, String prompt, String split, String basis) {

    /** Copies the list. */
    public DiceReport {
        results = List.copyOf(results);
    }

    /** A report whose slices were chosen by the options alone. */
    public DiceReport(List<CheckpointScores> results, String prompt, String split) {
        this(results, prompt, split, "the command's options");
    }

    /** The report as a fixed-width table, one row per checkpoint. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-24s %6s  %-17s %7s  %10s %8s %9s %8s%n", "checkpoint", "slices",
                "mean Dice +- std", "global", "meningioma", "glioma", "pituitary", "HD95 px"));
        for (CheckpointScores r : results) {
            Map<TumorType, double[]> pc = r.perClass();
            sb.append(String.format(Locale.ROOT, "%-24s %6d  %.4f +- %.4f  %7.4f  %10s %8s %9s %8s%n", shorten(r.name()),
                    r.slices(), r.meanDice(), r.stdDice(), r.globalDice(), fmt(pc.get(TumorType.MENINGIOMA)[1]),
                    fmt(pc.get(TumorType.GLIOMA)[1]), fmt(pc.get(TumorType.PITUITARY)[1]),
                    Double.isNaN(r.meanHd95()) ? "-" : String.format(Locale.ROOT, "%.1f", r.meanHd95())));
        }
        return sb.toString();
    }

    private static String shorten(String s) {
        return s.length() <= 24 ? s : "..." + s.substring(s.length() - 21);
    }

    private static String fmt(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.4f", d);
    }

    /** The report as the JSON object of {@code report.json}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        JsonArray arr = new JsonArray();
        for (CheckpointScores r : results) {
            JsonObject e = new JsonObject();
            e.addProperty("name", r.name());
            if (r.decoder() == null) {
                e.add("decoder", com.google.gson.JsonNull.INSTANCE);
            } else {
                e.addProperty("decoder", r.decoder().toString());
            }
            e.addProperty("slices", r.slices());
            e.addProperty("meanDice", r.meanDice());
            e.addProperty("stdDice", r.stdDice());
            e.addProperty("globalDice", r.globalDice());
            e.addProperty("meanIoU", r.meanIoU());
            if (Double.isNaN(r.meanHd95())) {
                e.add("meanHd95", com.google.gson.JsonNull.INSTANCE);
            } else {
                e.addProperty("meanHd95", r.meanHd95());
            }
            JsonObject pc = new JsonObject();
            r.perClass().forEach((t, v) -> {
                JsonObject c = new JsonObject();
                c.addProperty("slices", (int) v[0]);
                if (Double.isNaN(v[1])) {
                    c.add("meanDice", com.google.gson.JsonNull.INSTANCE);
                } else {
                    c.addProperty("meanDice", v[1]);
                }
                pc.add(t.displayName(), c);
            });
            e.add("perClass", pc);
            JsonObject pp = new JsonObject();
            r.perPatient().forEach((pid, v) -> {
                JsonObject c = new JsonObject();
                c.addProperty("slices", (int) v[0]);
                c.addProperty("meanDice", v[1]);
                if (Double.isNaN(v[2])) {
                    c.add("meanHd95", com.google.gson.JsonNull.INSTANCE);
                } else {
                    c.addProperty("meanHd95", v[2]);
                }
                pp.add(pid, c);
            });
            e.add("perPatient", pp);
            arr.add(e);
        }
        o.add("results", arr);
        o.addProperty("prompt", prompt);
        o.addProperty("split", split);
        o.addProperty("basis", basis);
        JsonArray scored = new JsonArray();
        if (!results.isEmpty()) {
            results.get(0).scores().forEach(sc -> scored.add(sc.file()));
        }
        o.add("scoredSlices", scored);
        return o;
    }

    /** The rows of {@code per-slice.csv}: {@code file,label,tumour,pid,checkpoint,dice,iou} (label 1..3, tumour its name). */
    public String csv() {
        StringBuilder sb = new StringBuilder("file,label,tumour,pid,checkpoint,dice,iou,hd95\n");
        for (CheckpointScores r : results) {
            for (SliceScore s : r.scores()) {
                sb.append(csvField(s.file())).append(',').append(s.label() == null ? "" : Integer.toString(s.label().code()))
                        .append(',').append(s.label() == null ? "" : s.label().displayName())
                        .append(',').append(csvField(s.patientId()))
                        .append(',').append(csvField(r.name())).append(',').append(s.dice()).append(',').append(s.iou())
                        .append(',').append(Double.isNaN(s.hd95()) ? "" : Double.toString(s.hd95())).append('\n');
            }
        }
        return sb.toString();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Writes {@code report.json} and {@code per-slice.csv} into a folder. */
    public void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve("report.json"),
                new GsonBuilder().setPrettyPrinting().serializeNulls().serializeSpecialFloatingPointValues().create().toJson(toJson()) + "\n");
        AtomicFiles.writeString(dir.resolve("per-slice.csv"), csv());
    }
}
