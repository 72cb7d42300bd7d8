package io.samtune.eval;

import io.samtune.data.TumorType;
import java.util.Locale;

/**
 * How well one slice was segmented.
 *
 * @param file the sample's id in its dataset ({@code 12.mat}, {@code CASE/z075})
 * @param label figshare tumour type, or null for samples without one
 * @param patientId patient
 * @param dice Dice of the predicted mask against the tumour mask (1 when both are empty)
 * @param iou intersection over union (1 when both are empty)
 * @param predictedArea pixels in the predicted mask
 * @param trueArea pixels in the tumour mask
 * @param intersection pixels in both
 * @param hd95 95th-percentile Hausdorff distance between the boundaries, pixels (NaN when a mask is empty)
 */
public record SliceScore(String file, TumorType label, String patientId, double dice, double iou, int predictedArea,
                         int trueArea, int intersection, double hd95) {

    /** A score without a boundary distance. */
    public SliceScore(String file, TumorType label, String patientId, double dice, double iou, int predictedArea,
                      int trueArea, int intersection) {
        this(file, label, patientId, dice, iou, predictedArea, trueArea, intersection, Double.NaN);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "SliceScore[%s, %s, Dice %.4f, IoU %.4f]", file, label == null ? "-" : label.displayName(), dice, iou);
    }
}
