package io.samtune.eval;

import io.samtune.core.Prompt;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.BinaryMask;
import io.samtune.data.BoxPrompt;
import io.samtune.data.Sample;
import io.samtune.data.PointPrompt;
import io.samtune.data.TumorType;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/** The pictures of a report: slice overlays and a bar chart of Dice per tumour type. */
public final class ReportFigures {

    /** Ground-truth contour colour. */
    static final Color TRUTH = new Color(40, 220, 60);
    /** Prediction contour colour. */
    static final Color PREDICTION = new Color(235, 40, 40);
    /** Prompt colour. */
    static final Color PROMPT = new Color(255, 210, 0);


    private ReportFigures() {
    }

    /**
     * A slice with its tumour contour (green), the predicted contour (red) and the prompt (yellow),
     * and a caption.
     */
    public static BufferedImage overlay(Sample slice, BinaryMask prediction, Prompt prompt, String caption) {
        int h = slice.height();
        int w = slice.width();
        byte[] gray = IntensityWindow.minMax().apply(slice.image());
        int captionH = 40;
        BufferedImage img = new BufferedImage(w, h + captionH, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int g = gray[y * w + x] & 0xff;
                img.setRGB(x, y, g << 16 | g << 8 | g);
            }
        }
        // filled at 35% so a bright tumour keeps its outline visible, then the contours on top
        fill(img, slice.mask(), TRUTH, 0.35);
        fill(img, prediction, PREDICTION, 0.35);
        paintContour(img, slice.mask(), TRUTH);
        paintContour(img, prediction, PREDICTION);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(PROMPT);
        g.setStroke(new BasicStroke(1.5f));
        BoxPrompt box = prompt.box();
        if (box != null) {
            g.drawRect((int) box.x0(), (int) box.y0(), (int) (box.x1() - box.x0()), (int) (box.y1() - box.y0()));
        }
        for (PointPrompt p : prompt.points()) {
            g.fillOval((int) p.x() - 4, (int) p.y() - 4, 9, 9);
        }
        g.setColor(Color.BLACK);
        g.fillRect(0, h, w, captionH);
        g.setColor(Color.WHITE);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, w >= 400 ? 13 : 10));
        g.drawString(prediction.isEmpty() ? caption + " | empty prediction" : caption, 6, h + 16);
        int x = 6;
        for (Object[] item : new Object[][] {{TRUTH, "truth"}, {PREDICTION, "prediction"}, {PROMPT, "prompt"}}) {
            g.setColor((Color) item[0]);
            g.fillRect(x, h + 26, 10, 10);
            g.setColor(Color.WHITE);
            g.drawString((String) item[1], x + 14, h + 35);
            x += 14 + g.getFontMetrics().stringWidth((String) item[1]) + 14;
        }
        g.dispose();
        return img;
    }

    /** A mask as a grey picture: 255 where the tumour is, 0 elsewhere. */
    public static BufferedImage maskPicture(BinaryMask m) {
        BufferedImage img = new BufferedImage(m.width(), m.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        boolean[] p = m.pixels();
        for (int i = 0; i < p.length; i++) {
            px[i] = (byte) (p[i] ? 255 : 0);
        }
        return img;
    }

    /** Blends a colour into the mask's pixels with opacity {@code alpha}. */
    private static void fill(BufferedImage img, BinaryMask m, Color c, double alpha) {
        int w = m.width();
        boolean[] p = m.pixels();
        for (int i = 0; i < p.length; i++) {
            if (p[i]) {
                int x = i % w;
                int y = i / w;
                int v = img.getRGB(x, y);
                int r = (int) Math.round(((v >> 16) & 0xff) * (1 - alpha) + c.getRed() * alpha);
                int gr = (int) Math.round(((v >> 8) & 0xff) * (1 - alpha) + c.getGreen() * alpha);
                int b = (int) Math.round((v & 0xff) * (1 - alpha) + c.getBlue() * alpha);
                img.setRGB(x, y, r << 16 | gr << 8 | b);
            }
        }
    }

    /** Marks the mask's boundary pixels (set, with an unset 4-neighbour) in a colour. */
    private static void paintContour(BufferedImage img, BinaryMask m, Color c) {
        int h = m.height();
        int w = m.width();
        boolean[] p = m.pixels();
        int rgb = c.getRGB();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (p[i] && (x == 0 || y == 0 || x == w - 1 || y == h - 1 || !p[i - 1] || !p[i + 1] || !p[i - w]
                        || !p[i + w])) {
                    img.setRGB(x, y, rgb);
                }
            }
        }
    }

    /** A grouped bar chart: mean Dice per tumour type (and overall), one bar per checkpoint, 900x480. */
    public static BufferedImage barChart(DiceReport report) {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(480)
                .title("mean Dice per tumour type (" + report.prompt() + " prompt, " + report.split() + " split)")
                .xAxisTitle("tumour type").yAxisTitle("mean Dice").build();
        Charts.style(chart.getStyler());
        CategoryStyler style = chart.getStyler();
        style.setLabelsVisible(true).setAvailableSpaceFill(0.8).setOverlapped(false);
        style.setYAxisMin(0.0).setYAxisMax(1.0).setLegendPosition(Styler.LegendPosition.OutsideS)
                .setLegendLayout(Styler.LegendLayout.Horizontal);
        style.setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        style.setYAxisDecimalPattern("0.00"); // also the bars' labels
        List<String> types = List.of("meningioma", "glioma", "pituitary", "all");
        List<String> groups = new java.util.ArrayList<>();
        CheckpointScores first = report.results().isEmpty() ? null : report.results().get(0);
        for (int gi = 0; gi < types.size(); gi++) {
            int n = first == null ? 0 : gi < 3 ? (int) first.perClass().get(TumorType.values()[gi])[0] : first.slices();
            groups.add(types.get(gi) + " (n=" + n + ")");
        }
        for (CheckpointScores r : report.results()) {
            List<Double> values = new java.util.ArrayList<>();
            for (int gi = 0; gi < groups.size(); gi++) {
                double v = gi < 3 ? r.perClass().get(TumorType.values()[gi])[1] : r.meanDice();
                values.add(Double.isNaN(v) ? 0.0 : v); // a type without slices shows as an empty bar
            }
            String n = r.name();
            chart.addSeries(n.length() > 38 ? "..." + n.substring(n.length() - 35) : n, groups, values);
        }
        return Charts.render(chart);
    }

    /** Writes an image as PNG, atomically. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        Charts.writePng(img, file);
    }

    /** Colours of the series, by checkpoint index (for documentation and tests). */
    static Map<String, Color> legend() {
        return Map.of("truth", TRUTH, "prediction", PREDICTION, "prompt", PROMPT);
    }
}
