package io.samtune.train;

import java.util.Locale;

/**
 * The learning rate of each optimizer step: a linear warm-up over the first {@code warmupSteps}
 * steps, then constant, stepped (multiplied by {@code gamma} every {@code stepSize} steps) or
 * cosine-annealed to 0 at {@code totalSteps}.
 *
 * @param kind constant, step or cosine
 * @param baseLr learning rate after warm-up
 * @param warmupSteps steps of linear warm-up from {@code baseLr / warmupSteps}
 * @param stepSize steps between decays (step schedule)
 * @param gamma decay factor (step schedule)
 * @param totalSteps steps of the whole run (cosine schedule)
 */
public record LearningRateSchedule(Kind kind, double baseLr, int warmupSteps, int stepSize, double gamma, long totalSteps) {

    /** The schedule's shape. */
    public enum Kind {
        /** Constant after warm-up. */
        CONSTANT,
        /** Multiplied by gamma every stepSize steps. */
        STEP,
        /** Cosine from the base rate to 0 over the run. */
        COSINE;

        /** Parses {@code constant}, {@code step} or {@code cosine}. */
        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown schedule '" + s + "': use constant, step or cosine", e);
            }
        }
    }

    /** Validates values. */
    public LearningRateSchedule {
        if (!(baseLr > 0) || !Double.isFinite(baseLr)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + baseLr);
        }
        if (warmupSteps < 0 || stepSize < 1 || !(gamma > 0) || totalSteps < 1) {
            throw new IllegalArgumentException("invalid schedule: warm-up " + warmupSteps + ", step size " + stepSize
                    + ", gamma " + gamma + ", total " + totalSteps);
        }
    }

    /** The learning rate of step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return baseLr * (step + 1) / warmupSteps;
        }
        long s = step - warmupSteps;
        return switch (kind) {
            case CONSTANT -> baseLr;
            case STEP -> baseLr * Math.pow(gamma, s / stepSize);
            case COSINE -> {
                long span = Math.max(1, totalSteps - warmupSteps);
                yield baseLr * 0.5 * (1 + Math.cos(Math.PI * Math.min(s, span) / span));
            }
        };
    }
}
