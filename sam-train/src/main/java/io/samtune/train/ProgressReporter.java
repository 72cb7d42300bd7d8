package io.samtune.train;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows training progress: a one-line bar redrawn in place on a terminal (epoch, step, loss,
 * throughput), or plain log lines when the output is a file or a pipe.
 */
public final class ProgressReporter implements TrainingListener {

    private final PrintWriter out;
    private final boolean terminal;
    private final int logEvery;
    private TrainingPlan plan;
    private double smoothedLoss = Double.NaN;
    private long lastDraw;

    /**
     * @param out where to write (stderr for the command line)
     * @param terminal true to redraw one line in place
     * @param logEvery without a terminal, log every N steps (epoch ends are always logged)
     */
    public ProgressReporter(PrintWriter out, boolean terminal, int logEvery) {
        this.out = out;
        this.terminal = terminal;
        this.logEvery = Math.max(1, logEvery);
    }

    @Override
    public void onStart(TrainingPlan p) {
        plan = p;
        out.printf(Locale.ROOT, "training on %d slices: %d epoch(s) x %d step(s)%s%n", p.trainSamples(), p.epochs(),
                p.stepsPerEpoch(), p.startStep() > 0 ? ", resuming at step " + p.startStep() : "");
        out.flush();
    }

    @Override
    public void onStep(StepEvent e) {
        smoothedLoss = Double.isNaN(smoothedLoss) ? e.loss() : 0.9 * smoothedLoss + 0.1 * e.loss();
        double rate = e.seconds() > 0 ? e.samples() / e.seconds() : 0;
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw < 100_000_000L && e.step() < plan.totalSteps()) {
                return;
            }
            lastDraw = now;
            int width = 30;
            double frac = (double) e.step() / plan.totalSteps();
            int filled = (int) Math.round(frac * width);
            out.printf(Locale.ROOT, "\repoch %d/%d [%s%s] step %d/%d loss %.4f lr %.2e %.1f slices/s   ", e.epoch() + 1,
                    plan.epochs(), "#".repeat(filled), ".".repeat(width - filled), e.step(), plan.totalSteps(),
                    smoothedLoss, e.learningRate(), rate);
            out.flush();
        } else if (e.step() % logEvery == 0) {
            out.printf(Locale.ROOT, "epoch %d step %d/%d loss %.4f lr %.2e %.1f slices/s%n", e.epoch() + 1, e.step(),
                    plan.totalSteps(), e.loss(), e.learningRate(), rate);
            out.flush();
        }
    }

    @Override
    public void onEpochEnd(EpochEvent e) {
        if (terminal) {
            out.print("\r");
        }
        out.printf(Locale.ROOT, "epoch %d/%d done in %.1f s: mean loss %.4f%s%n", e.epoch() + 1, plan.epochs(),
                e.seconds(), e.meanLoss(), Double.isNaN(e.valDice()) ? ""
                        : String.format(Locale.ROOT, ", validation Dice %.4f%s", e.valDice(), e.best() ? " (best)" : ""));
        out.flush();
    }
}
