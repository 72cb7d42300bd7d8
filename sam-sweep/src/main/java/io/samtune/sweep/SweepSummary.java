package io.samtune.sweep;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.core.io.AtomicFiles;
import io.samtune.eval.Charts;
import io.samtune.train.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A sweep's results from what its folder holds: {@value #CSV} (one row per trial: its varied
 * settings, status, epochs run, best metric, run folder), {@value #JSON}, a console table sorted by
 * the metric, the best trial's decoder copied to {@value #BEST}, and two plots: the metric per epoch
 * of every trial ({@value #CURVES}) and the metric against each varied setting ({@code metric-vs-KEY.png}).
 */
public final class SweepSummary {

    /** The results table. */
    public static final String CSV = "trials.csv";
    /** The results as JSON. */
    public static final String JSON = "summary.json";
    /** The best trial's best decoder. */
    public static final String BEST = "best-decoder.safetensors";
    /** The metric per epoch of every trial. */
    public static final String CURVES = "trials-curves.png";

    /** One trial's row. */
    public record Row(Trial trial, String status, int epochs, double best, List<Double> perEpoch, Path run) {
    }

    private final Sweep sweep;
    private final List<Row> rows;

    private SweepSummary(Sweep sweep, List<Row> rows) {
        this.sweep = sweep;
        this.rows = rows;
    }

    static SweepSummary of(Sweep sweep) throws IOException {
        SweepSpec spec = sweep.spec();
        List<Row> rows = new ArrayList<>();
        for (Trial t : sweep.trials()) {
            Path dir = sweep.folder().resolve(t.folderName());
            List<Double> values = new ArrayList<>();
            RunDirectory run = new RunDirectory(dir);
            if (Files.isRegularFile(run.file(RunDirectory.METRICS))) {
                for (JsonObject m : run.readMetrics()) {
                    if (spec.metric().equals("loss") ? m.has("meanLoss") : m.has("valDice")) {
                        values.add(m.get(spec.metric().equals("loss") ? "meanLoss" : "valDice").getAsDouble());
                    }
                }
            }
            double best = Double.NaN;
            for (double v : values) {
                if (Double.isFinite(v) && (Double.isNaN(best) || (spec.maximize() ? v > best : v < best))) {
                    best = v;
                }
            }
            rows.add(new Row(t, sweep.status(t), values.size(), best, values, dir));
        }
        return new SweepSummary(sweep, rows);
    }

    /** The rows, in trial order. */
    public List<Row> rows() {
        return rows;
    }

    /** The rows, best first (trials without a metric last). */
    public List<Row> ranked() {
        boolean max = sweep.spec().maximize();
        Comparator<Row> byMetric = Comparator.comparingDouble(r -> max ? -r.best() : r.best());
        return rows.stream().sorted(Comparator.comparing((Row r) -> Double.isNaN(r.best())).thenComparing(byMetric)
                .thenComparingInt(r -> r.trial().index())).toList();
    }

    /** The keys the trials differ in, in the space's order. */
    public List<String> varied() {
        return new ArrayList<>(sweep.spec().space().keySet());
    }

    /**
     * Writes the table, JSON, plots and the best decoder into the sweep folder.
     *
     * @return the console table
     */
    public String write() throws IOException {
        Path dir = sweep.folder();
        StringBuilder csv = new StringBuilder("trial");
        for (String k : varied()) {
            csv.append(',').append(k);
        }
        csv.append(",status,epochs,").append(sweep.spec().metric()).append(",run\n");
        JsonArray trials = new JsonArray();
        for (Row r : rows) {
            csv.append(r.trial().index());
            for (String k : varied()) {
                csv.append(',').append(value(r.trial().parameters().get(k)));
            }
            csv.append(',').append(r.status()).append(',').append(r.epochs()).append(',')
                    .append(Double.isNaN(r.best()) ? "" : String.format(Locale.ROOT, "%.6f", r.best())).append(',')
                    .append(dir.relativize(r.run())).append('\n');
            JsonObject o = new JsonObject();
            o.addProperty("trial", r.trial().index());
            o.add("parameters", r.trial().parameters());
            o.addProperty("status", r.status());
            o.addProperty("epochs", r.epochs());
            if (!Double.isNaN(r.best())) {
                o.addProperty(sweep.spec().metric(), r.best());
            }
            o.addProperty("run", dir.relativize(r.run()).toString());
            trials.add(o);
        }
        AtomicFiles.writeString(dir.resolve(CSV), csv.toString());
        JsonObject summary = new JsonObject();
        summary.addProperty("metric", sweep.spec().metric());
        summary.addProperty("mode", sweep.spec().maximize() ? "max" : "min");
        summary.addProperty("scheduler", sweep.spec().scheduler());
        summary.add("trials", trials);
        List<Row> ranked = ranked();
        Row best = ranked.isEmpty() || Double.isNaN(ranked.get(0).best()) ? null : ranked.get(0);
        if (best != null) {
            JsonObject b = new JsonObject();
            b.addProperty("trial", best.trial().index());
            b.addProperty(sweep.spec().metric(), best.best());
            b.add("parameters", best.trial().parameters());
            b.addProperty("run", dir.relativize(best.run()).toString());
            summary.add("best", b);
            Path decoder = best.run().resolve(RunDirectory.DECODER_BEST);
            if (Files.isRegularFile(decoder)) {
                Path tmp = dir.resolve(BEST + ".tmp");
                Files.copy(decoder, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, dir.resolve(BEST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        AtomicFiles.writeString(dir.resolve(JSON), summary.toString());
        plots();
        return table(ranked, best);
    }

    private String table(List<Row> ranked, Row best) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-10s", "trial"));
        for (String k : varied()) {
            s.append(String.format(Locale.ROOT, " %-12s", k));
        }
        s.append(String.format(Locale.ROOT, " %-11s %6s %10s%n", "status", "epochs", sweep.spec().metric()));
        for (Row r : ranked) {
            s.append(String.format(Locale.ROOT, "%-10s", r.trial().folderName()));
            for (String k : varied()) {
                s.append(String.format(Locale.ROOT, " %-12s", shortValue(r.trial().parameters().get(k))));
            }
            s.append(String.format(Locale.ROOT, " %-11s %6d %10s%n", r.status(), r.epochs(),
                    Double.isNaN(r.best()) ? "-" : String.format(Locale.ROOT, "%.4f", r.best())));
        }
        if (best != null) {
            s.append("best: ").append(best.trial().folderName()).append(' ').append(best.trial().parameters())
                    .append("; its decoder is ").append(sweep.folder().resolve(BEST)).append(System.lineSeparator());
        }
        return s.toString();
    }

    /** Numbers in 4 significant digits for the console. */
    private static String shortValue(JsonElement e) {
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double v = e.getAsDouble();
            return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.4g", v);
        }
        return value(e);
    }

    private static String value(JsonElement e) {
        return e == null ? "" : e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : e.toString();
    }

    private void plots() throws IOException {
        String metric = sweep.spec().metric();
        XYChart curves = new XYChartBuilder().width(900).height(500).title("sweep " + sweep.folder().getFileName()
                + ": " + metric + " per epoch").xAxisTitle("epoch").yAxisTitle(metric).build();
        Charts.style(curves.getStyler());
        curves.getStyler().setXAxisDecimalPattern("0");
        curves.getStyler().setYAxisDecimalPattern("0.0###");
        boolean any = false;
        for (Row r : rows) {
            if (r.perEpoch().isEmpty()) {
                continue;
            }
            List<Double> x = new ArrayList<>();
            for (int e = 1; e <= r.perEpoch().size(); e++) {
                x.add((double) e);
            }
            XYSeries s = curves.addSeries(r.trial().folderName() + " (" + r.status() + ")", x, r.perEpoch());
            s.setMarker(SeriesMarkers.CIRCLE);
            any = true;
        }
        if (any) {
            Charts.writePng(org.knowm.xchart.BitmapEncoder.getBufferedImage(curves), sweep.folder().resolve(CURVES));
        }
        for (String k : varied()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (Row r : rows) {
                JsonElement v = r.trial().parameters().get(k);
                if (v == null || Double.isNaN(r.best())) {
                    continue;
                }
                double xv;
                if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
                    xv = v.getAsDouble();
                } else {
                    String label = value(v);
                    if (!labels.contains(label)) {
                        labels.add(label);
                    }
                    xv = labels.indexOf(label);
                }
                x.add(xv);
                y.add(r.best());
            }
            if (x.isEmpty()) {
                continue;
            }
            XYChart c = new XYChartBuilder().width(700).height(450).title(metric + " against " + k
                    + (labels.isEmpty() ? "" : " (" + String.join(" = 0, ", labels.subList(0, 1)) + (labels.size() > 1
                    ? "; then " + String.join(", ", labels.subList(1, labels.size())) : "") + ")"))
                    .xAxisTitle(k).yAxisTitle("best " + metric).build();
            Charts.style(c.getStyler());
            c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            c.getStyler().setYAxisDecimalPattern("0.0###");
            if (k.equalsIgnoreCase("lr") && x.stream().allMatch(v -> v > 0)) {
                c.getStyler().setXAxisLogarithmic(true);
            }
            c.addSeries("trials", x, y);
            Charts.writePng(org.knowm.xchart.BitmapEncoder.getBufferedImage(c),
                    sweep.folder().resolve("metric-vs-" + k.replaceAll("[^A-Za-z0-9_-]", "_") + ".png"));
        }
    }
}
