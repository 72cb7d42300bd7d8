package io.samtune.cli.command;

import io.samtune.train.TrainingListener;
import io.samtune.train.TrainingView;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress for the command line: on a terminal one bar redrawn in place (epoch, step,
 * loss, throughput, elapsed time and ETA) and cleared before each epoch line; otherwise plain log
 * lines every N steps.
 */
final class TrainingProgress implements TrainingListener {

    private final PrintWriter out;
    private final boolean terminal;
    private final int logEvery;
    private final long started = System.nanoTime();
    private double smoothedLoss = Double.NaN;
    private long lastDraw;
    private int drawn;

    /**
     * @param out where to write (stderr for the command line)
     * @param terminal true to redraw one line in place
     * @param logEvery without a terminal, log every N steps (epoch ends are always logged)
     */
    TrainingProgress(PrintWriter out, boolean terminal, int logEvery) {
        this.out = out;
        this.terminal = terminal;
        this.logEvery = Math.max(1, logEvery);
    }

    @Override
    public void onStart(TrainingView run) {
        out.printf(Locale.ROOT, "training on %d slices: %d epoch(s) x %d step(s)%s%n", run.plan().trainSamples(),
                run.plan().epochs(), run.plan().stepsPerEpoch(),
                run.startStep() > 0 ? ", resuming at step " + run.startStep() : "");
        out.flush();
    }

    @Override
    public void onStep(TrainingView run) {
        smoothedLoss = Double.isNaN(smoothedLoss) ? run.loss() : 0.9 * smoothedLoss + 0.1 * run.loss();
        double rate = run.stepSeconds() > 0 ? run.samples() / run.stepSeconds() : 0;
        long total = run.plan().totalSteps();
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw < 100_000_000L && run.step() < total) {
                return;
            }
            lastDraw = now;
            double elapsed = (now - started) / 1e9;
            long done = run.step() - run.startStep();
            double eta = done > 0 ? elapsed / done * (total - run.step()) : Double.NaN;
            int width = 24;
            int filled = (int) Math.round((double) run.step() / total * width);
            String line = String.format(Locale.ROOT, "epoch %d/%d [%s%s] step %d/%d loss %.4f lr %.2e %.1f slices/s %s"
                    + " elapsed, ETA %s", run.epoch() + 1, run.plan().epochs(), "#".repeat(filled),
                    ".".repeat(width - filled), run.step(), total, smoothedLoss, run.learningRate(), rate,
                    duration(elapsed), duration(eta));
            out.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())));
            drawn = line.length();
            out.flush();
        } else if (run.step() % logEvery == 0) {
            out.printf(Locale.ROOT, "epoch %d step %d/%d loss %.4f lr %.2e %.1f slices/s%n", run.epoch() + 1, run.step(),
                    total, run.loss(), run.learningRate(), rate);
            out.flush();
        }
    }

    @Override
    public void onEpochEnd(TrainingView run) {
        if (terminal && drawn > 0) {
            out.print("\r" + " ".repeat(drawn) + "\r");
            drawn = 0;
        }
        out.printf(Locale.ROOT, "epoch %d/%d done in %.1f s: mean loss %.4f%s%n", run.epoch() + 1, run.plan().epochs(),
                run.epochSeconds(), run.epochMeanLoss(), Double.isNaN(run.valDice()) ? ""
                        : String.format(Locale.ROOT, ", validation Dice %.4f%s", run.valDice(), run.isBest() ? " (best)" : ""));
        out.flush();
    }

    /** Seconds as {@code 1h02m}, {@code 3m05s} or {@code 12s}; {@code ?} when unknown. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
