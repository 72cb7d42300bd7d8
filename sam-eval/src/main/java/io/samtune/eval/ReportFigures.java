package io.samtune.eval;

import io.samtune.core.Prompt;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.BinaryMask;
import io.samtune.data.BoxPrompt;
import io.samtune.data.BrainTumorSlice;
import io.samtune.data.PointPrompt;
import io.samtune.data.TumorType;
import io.samtune.core.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** The pictures of a report: slice overlays and a bar chart of Dice per tumour type. */
public final class ReportFigures {

    /** Ground-truth contour colour. */
    static final Color TRUTH = new Color(40, 220, 60);
    /** Prediction contour colour. */
    static final Color PREDICTION = new Color(235, 40, 40);
    /** Prompt colour. */
    static final Color PROMPT = new Color(255, 210, 0);

    private static final Color[] SERIES = {new Color(120, 120, 120), new Color(31, 119, 180), new Color(255, 127, 14),
        new Color(44, 160, 44), new Color(148, 103, 189), new Color(140, 86, 75)};

    private ReportFigures() {
    }

    /**
     * A slice with its tumour contour (green), the predicted contour (red) and the prompt (yellow),
     * and a caption.
     */
    public static BufferedImage overlay(BrainTumorSlice slice, BinaryMask prediction, Prompt prompt, String caption) {
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
        g.drawString(caption, 6, h + 16);
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

    /** A grouped bar chart: mean Dice per tumour type (and overall), one bar per checkpoint. */
    public static BufferedImage barChart(DiceReport report) {
        int w = 900;
        int h = 480;
        int left = 60;
        int right = 20;
        int top = 50;
        int bottom = 90;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.setColor(new Color(225, 225, 225));
        for (int i = 0; i <= 5; i++) {
            int y = top + ph - ph * i / 5;
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.1f", i / 5.0), left - 30, y + 4);
            g.setColor(new Color(225, 225, 225));
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, top, left, top + ph);
        g.drawLine(left, top + ph, left + pw, top + ph);
        g.drawString("mean Dice per tumour type (" + report.prompt() + " prompt, " + report.split() + " split)", left, 24);
        String[] groups = {"meningioma", "glioma", "pituitary", "all"};
        List<CheckpointScores> rs = report.results();
        int groupW = pw / groups.length;
        int barW = Math.max(4, (groupW - 30) / Math.max(1, rs.size()));
        for (int gi = 0; gi < groups.length; gi++) {
            int gx = left + gi * groupW + 15;
            for (int ri = 0; ri < rs.size(); ri++) {
                CheckpointScores r = rs.get(ri);
                double v = gi < 3 ? r.perClass().get(TumorType.values()[gi])[1] : r.meanDice();
                if (Double.isNaN(v)) {
                    continue;
                }
                int bh = (int) Math.round(ph * Math.max(0, Math.min(1, v)));
                g.setColor(SERIES[ri % SERIES.length]);
                g.fillRect(gx + ri * barW, top + ph - bh, barW - 2, bh);
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
                g.drawString(String.format(Locale.ROOT, "%.2f", v), gx + ri * barW, top + ph - bh - 3);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(groups[gi], gx + 10, top + ph + 18);
        }
        int ly = top + ph + 40;
        for (int ri = 0; ri < rs.size(); ri++) {
            int lx = left + (ri % 3) * 280;
            int yy = ly + (ri / 3) * 18;
            g.setColor(SERIES[ri % SERIES.length]);
            g.fillRect(lx, yy - 10, 12, 12);
            g.setColor(Color.BLACK);
            String n = rs.get(ri).name();
            g.drawString(n.length() > 38 ? "..." + n.substring(n.length() - 35) : n, lx + 18, yy);
        }
        g.dispose();
        return img;
    }

    /** Writes an image as PNG, atomically. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        AtomicFiles.write(file, os -> ImageIO.write(img, "png", os));
    }

    /** Colours of the series, by checkpoint index (for documentation and tests). */
    static Map<String, Color> legend() {
        return Map.of("truth", TRUTH, "prediction", PREDICTION, "prompt", PROMPT);
    }
}
