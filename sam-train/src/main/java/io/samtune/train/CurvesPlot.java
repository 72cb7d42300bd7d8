package io.samtune.train;

import com.google.gson.JsonObject;
import io.samtune.core.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws {@code curves.png}: training loss per step (left axis) and validation Dice per epoch (right axis). */
final class CurvesPlot {

    private static final int W = 900;
    private static final int H = 500;
    private static final int LEFT = 70;
    private static final int RIGHT = 70;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private CurvesPlot() {
    }

    static void write(RunDirectory run) throws IOException {
        List<double[]> loss = new ArrayList<>();
        List<double[]> dice = new ArrayList<>();
        for (JsonObject o : run.readMetrics()) {
            if (o.has("loss")) {
                loss.add(new double[] {o.get("step").getAsDouble(), o.get("loss").getAsDouble()});
            } else if (o.has("valDice")) {
                dice.add(new double[] {o.get("step").getAsDouble(), o.get("valDice").getAsDouble()});
            }
        }
        BufferedImage img = render(loss, dice);
        AtomicFiles.write(run.file(RunDirectory.CURVES), os -> ImageIO.write(img, "png", os));
    }

    static BufferedImage render(List<double[]> loss, List<double[]> dice) {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double maxStep = 1;
        double maxLoss = 1e-9;
        for (double[] p : loss) {
            maxStep = Math.max(maxStep, p[0]);
            maxLoss = Math.max(maxLoss, p[1]);
        }
        for (double[] p : dice) {
            maxStep = Math.max(maxStep, p[0]);
        }
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        g.setColor(new Color(230, 230, 230));
        for (int i = 0; i <= 4; i++) {
            int y = TOP + ph * i / 4;
            g.drawLine(LEFT, y, LEFT + pw, y);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, pw, ph);
        g.drawString("step", LEFT + pw / 2 - 12, H - 12);
        for (int i = 0; i <= 4; i++) {
            int y = TOP + ph * i / 4;
            g.setColor(new Color(31, 119, 180));
            g.drawString(String.format(Locale.ROOT, "%.3f", maxLoss * (4 - i) / 4), 8, y + 4);
            g.setColor(new Color(214, 39, 40));
            g.drawString(String.format(Locale.ROOT, "%.2f", (4 - i) / 4.0), LEFT + pw + 8, y + 4);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.0f", maxStep * i / 4), LEFT + pw * i / 4 - 8, TOP + ph + 16);
        }
        g.setStroke(new BasicStroke(1.5f));
        g.setColor(new Color(31, 119, 180));
        plot(g, loss, maxStep, maxLoss, pw, ph);
        g.setColor(new Color(214, 39, 40));
        g.setStroke(new BasicStroke(2f));
        plot(g, dice, maxStep, 1.0, pw, ph);
        for (double[] p : dice) {
            int x = LEFT + (int) (pw * p[0] / maxStep);
            int y = TOP + ph - (int) (ph * p[1]);
            g.fillOval(x - 4, y - 4, 8, 8);
        }
        g.setColor(new Color(31, 119, 180));
        g.drawString("training loss", LEFT, 24);
        g.setColor(new Color(214, 39, 40));
        g.drawString("validation Dice", LEFT + 120, 24);
        g.dispose();
        return img;
    }

    private static void plot(Graphics2D g, List<double[]> pts, double maxX, double maxY, int pw, int ph) {
        for (int i = 1; i < pts.size(); i++) {
            double[] a = pts.get(i - 1);
            double[] b = pts.get(i);
            g.drawLine(LEFT + (int) (pw * a[0] / maxX), TOP + ph - (int) (ph * a[1] / maxY),
                    LEFT + (int) (pw * b[0] / maxX), TOP + ph - (int) (ph * b[1] / maxY));
        }
    }
}
