package io.samtune.train;

import com.google.gson.JsonObject;
import io.samtune.eval.Charts;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws {@code curves.png} (900x500) from {@code metrics.jsonl}: training loss per step on the left
 * axis, validation Dice per epoch (at the epoch's last step) on the right axis, from 0 to 1.
 */
final class CurvesPlot {

    private CurvesPlot() {
    }

    static void write(RunDirectory run) throws IOException {
        List<Double> steps = new ArrayList<>();
        List<Double> loss = new ArrayList<>();
        List<Double> diceSteps = new ArrayList<>();
        List<Double> dice = new ArrayList<>();
        for (JsonObject o : run.readMetrics()) {
            if (o.has("loss")) {
                steps.add(o.get("step").getAsDouble());
                loss.add(o.get("loss").getAsDouble());
            } else if (o.has("valDice")) {
                diceSteps.add(o.get("step").getAsDouble());
                dice.add(o.get("valDice").getAsDouble());
            }
        }
        if (steps.isEmpty()) {
            return;
        }
        Path name = run.path().toAbsolutePath().getFileName();
        Charts.writePng(render("training curves - " + (name == null ? run.path() : name), steps, loss, diceSteps, dice),
                run.file(RunDirectory.CURVES));
    }

    static BufferedImage render(String title, List<Double> steps, List<Double> loss, List<Double> diceSteps,
                                List<Double> dice) {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("step")
                .yAxisTitle("training loss").build();
        Charts.style(chart.getStyler());
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setXAxisMin(0.0).setYAxisMin(0, 0.0).setYAxisMin(1, 0.0).setYAxisMax(1, 1.0)
                .setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        XYSeries l = chart.addSeries("training loss", steps, loss);
        l.setMarker(SeriesMarkers.NONE);
        l.setLineColor(Charts.SERIES[1]);
        if (!dice.isEmpty()) {
            XYSeries d = chart.addSeries("validation Dice", diceSteps, dice);
            d.setYAxisGroup(1);
            d.setMarker(SeriesMarkers.CIRCLE);
            d.setLineColor(new java.awt.Color(214, 39, 40));
            d.setMarkerColor(new java.awt.Color(214, 39, 40));
            chart.setYAxisGroupTitle(1, "validation Dice");
        }
        return Charts.render(chart);
    }
}
