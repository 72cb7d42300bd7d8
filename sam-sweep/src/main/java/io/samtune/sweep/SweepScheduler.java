package io.samtune.sweep;

import io.samtune.core.io.AtomicFiles;
import java.io.IOException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Early stopping across the trials of a sweep, through atomic files in the sweep folder, so trials
 * in other processes or on other machines sharing the folder cooperate: at the end of each epoch a
 * trial records its metric ({@code rungs/epoch-NNN/trial-MMM}) and asks whether to go on. Its
 * answer is recorded too ({@code trial-MMM.decision}), so a resumed trial gets the same answer.
 *
 * <ul>
 *   <li>{@code none}: never stops a trial.</li>
 *   <li>{@code asha}: asynchronous successive halving: rungs at {@code gracePeriod x reductionFactor^k}
 *       epochs; a trial reaching a rung goes on only if its metric is in the best
 *       {@code 1 / reductionFactor} of the metrics recorded at that rung so far.</li>
 *   <li>{@code median}: from {@code gracePeriod} epochs on, a trial whose metric is worse than the
 *       median of the other trials' at the same epoch stops.</li>
 * </ul>
 */
public final class SweepScheduler {

    private final SweepSpec spec;
    private final Path folder;

    /**
     * @param folder the sweep folder
     */
    public SweepScheduler(SweepSpec spec, Path folder) {
        this.spec = spec;
        this.folder = folder;
    }

    /**
     * Records a trial's metric after {@code epochs} epochs and decides whether it goes on.
     *
     * @return true to continue, false to stop the trial now
     * @throws IOException if the folder cannot be written
     */
    public boolean record(int trial, int epochs, double metric) throws IOException {
        Path rung = folder.resolve("rungs").resolve(String.format(Locale.ROOT, "epoch-%03d", epochs));
        Files.createDirectories(rung);
        String name = String.format(Locale.ROOT, "trial-%03d", trial);
        Path decision = rung.resolve(name + ".decision");
        if (Files.exists(decision)) { // decided before (a resumed trial): the same answer
            return Files.readString(decision).trim().equals("continue");
        }
        AtomicFiles.writeString(rung.resolve(name), Double.toString(metric));
        boolean go = decide(trial, epochs, metric, others(rung, name));
        AtomicFiles.writeString(decision, go ? "continue" : "stop");
        return go;
    }

    private boolean decide(int trial, int epochs, double metric, double[] others) {
        double m = spec.maximize() ? metric : -metric;
        double[] o = Arrays.stream(others).map(v -> spec.maximize() ? v : -v).filter(Double::isFinite).toArray();
        if (!Double.isFinite(m)) {
            return true; // no metric to judge by (no validation part): the trial goes on
        }
        switch (spec.scheduler()) {
            case "asha": {
                if (!isRung(epochs) || epochs >= spec.maxEpochs()) {
                    return true;
                }
                double[] all = Arrays.copyOf(o, o.length + 1);
                all[o.length] = m;
                Arrays.sort(all);
                // the best 1/rf go on: the cut is the (1 - 1/rf) quantile of what the rung has seen
                int keep = Math.max(1, (int) Math.ceil(all.length / (double) spec.reductionFactor()));
                double cut = all[all.length - keep];
                return m >= cut;
            }
            case "median": {
                if (epochs < spec.gracePeriod() || o.length == 0) {
                    return true;
                }
                double[] s = o.clone();
                Arrays.sort(s);
                double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
                return m >= median;
            }
            default:
                return true;
        }
    }

    /** True when {@code epochs} is an ASHA rung: gracePeriod x reductionFactor^k. */
    boolean isRung(int epochs) {
        for (long r = spec.gracePeriod(); r <= epochs; r *= spec.reductionFactor()) {
            if (r == epochs) {
                return true;
            }
        }
        return false;
    }

    private static double[] others(Path rung, String self) throws IOException {
        List<Double> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(rung)) {
            for (Path p : files.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("trial-") && !n.contains(".") && !n.equals(self)) {
                    try {
                        out.add(Double.parseDouble(Files.readString(p).trim()));
                    } catch (NumberFormatException e) {
                        // a torn or foreign file: not a metric
                    }
                }
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
