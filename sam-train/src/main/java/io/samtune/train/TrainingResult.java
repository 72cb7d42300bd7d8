package io.samtune.train;

import java.nio.file.Path;
import java.util.Locale;

/**
 * How a run ended.
 *
 * @param steps optimizer steps done in total
 * @param epochs epochs completed
 * @param lastLoss loss of the last step
 * @param bestValDice best validation Dice (NaN without validation)
 * @param bestEpoch epoch of the best validation Dice, 0-based (-1 without validation); printed 1-based
 * @param runDirectory where the files are, or null
 */
public record TrainingResult(long steps, int epochs, double lastLoss, double bestValDice, int bestEpoch,
                             Path runDirectory) {

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TrainingResult[%d steps, %d epochs, last loss %.4f, best val Dice %s%s]",
                steps, epochs, lastLoss, Double.isNaN(bestValDice) ? "n/a" : String.format(Locale.ROOT, "%.4f (epoch %d)",
                        bestValDice, bestEpoch + 1), runDirectory == null ? "" : ", in " + runDirectory);
    }
}
