package io.samtune.eval;

import io.samtune.core.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * samtune's charts (training curves, Dice per tumour type) through XChart, in one style: white
 * background, readable fonts, legend inside the plot, the same series colours everywhere.
 */
public final class Charts {

    /** Series colours, by series index (grey first: the zero-shot model in reports). */
    public static final Color[] SERIES = {new Color(120, 120, 120), new Color(31, 119, 180), new Color(255, 127, 14),
        new Color(44, 160, 44), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194)};

    private Charts() {
    }

    /** Applies the house style to a chart's styler. */
    public static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setLegendBorderColor(new Color(200, 200, 200));
        s.setSeriesColors(SERIES);
        s.setAntiAlias(true);
    }

    /** The chart drawn as an image of its own size. */
    public static BufferedImage render(Chart<?, ?> chart) {
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Writes an image as PNG, atomically. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        AtomicFiles.write(file, os -> ImageIO.write(img, "png", os));
    }
}
