package io.samtune.train;

import java.util.Locale;

/** Stops a run whose loss becomes NaN or infinite, before that step's update is applied. */
public final class DivergenceGuard implements TrainingListener {

    @Override
    public void beforeUpdate(TrainingView run) {
        if (!Double.isFinite(run.loss())) {
            throw new TrainingDivergedException(String.format(Locale.ROOT, "loss became %s at step %d (epoch %d);"
                    + " training stopped. Lower the learning rate (--lr), check the data, or resume from the last good"
                    + " checkpoint.", run.loss(), run.step() + 1, run.epoch() + 1));
        }
    }

    @Override
    public String toString() {
        return "DivergenceGuard";
    }
}
