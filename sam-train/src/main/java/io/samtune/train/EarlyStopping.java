package io.samtune.train;

/**
 * Ends a run whose validation Dice has not improved for {@code patience} epochs. The decision
 * follows from the saved best epoch, so a resumed run that had already stopped stops again at once.
 */
public final class EarlyStopping implements TrainingListener {

    private final int patience;

    /** @param patience epochs without a better validation Dice before stopping, &gt;= 1 */
    public EarlyStopping(int patience) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience must be >= 1 epoch, got " + patience);
        }
        this.patience = patience;
    }

    @Override
    public boolean wantsStop(TrainingView run) {
        // epochs finished since the best one; the current epoch counts once it is complete
        int finished = run.epochComplete() ? run.epoch() + 1 : run.epoch();
        return run.validates() && run.bestEpoch() >= 0 && finished - 1 - run.bestEpoch() >= patience;
    }

    @Override
    public String toString() {
        return "EarlyStopping[patience " + patience + " epochs]";
    }
}
