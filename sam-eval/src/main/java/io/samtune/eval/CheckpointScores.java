package io.samtune.eval;

import io.samtune.data.TumorType;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scores of one checkpoint on a set of slices, with their summaries.
 *
 * @param name the checkpoint's name in reports ({@code zero-shot} for the base model)
 * @param decoder the decoder file scored, or null for the base checkpoint's own decoder
 * @param scores one score per slice, in slice order
 */
public record CheckpointScores(String name, Path decoder, List<SliceScore> scores) {

    /** Copies the list. */
    public CheckpointScores {
        scores = List.copyOf(scores);
    }

    /** Number of slices. */
    public int slices() {
        return scores.size();
    }

    /** Mean Dice over slices. */
    public double meanDice() {
        return scores.stream().mapToDouble(SliceScore::dice).average().orElse(Double.NaN);
    }

    /** Standard deviation of Dice over slices (population, {@code ddof = 0}). */
    public double stdDice() {
        double mean = meanDice();
        return Math.sqrt(scores.stream().mapToDouble(s -> (s.dice() - mean) * (s.dice() - mean)).average().orElse(Double.NaN));
    }

    /** Dice of all pixels pooled: {@code 2 sum|P and G| / (sum|P| + sum|G|)}. */
    public double globalDice() {
        long inter = 0;
        long sum = 0;
        for (SliceScore s : scores) {
            inter += s.intersection();
            sum += s.predictedArea() + (long) s.trueArea();
        }
        return sum == 0 ? 1.0 : 2.0 * inter / sum;
    }

    /** Mean IoU over slices. */
    public double meanIoU() {
        return scores.stream().mapToDouble(SliceScore::iou).average().orElse(Double.NaN);
    }

    /** Mean HD95 over the slices where it is defined (both masks non-empty), pixels; NaN for none. */
    public double meanHd95() {
        return scores.stream().mapToDouble(SliceScore::hd95).filter(Double::isFinite).average().orElse(Double.NaN);
    }

    /** Per patient, in id order: slices, mean Dice and mean HD95 (NaN where undefined). */
    public Map<String, double[]> perPatient() {
        Map<String, double[]> m = new java.util.TreeMap<>();
        scores.stream().map(SliceScore::patientId).distinct().forEach(pid -> {
            List<SliceScore> of = scores.stream().filter(x -> x.patientId().equals(pid)).toList();
            m.put(pid, new double[] {of.size(), of.stream().mapToDouble(SliceScore::dice).average().orElse(Double.NaN),
                of.stream().mapToDouble(SliceScore::hd95).filter(Double::isFinite).average().orElse(Double.NaN)});
        });
        return m;
    }

    /** Per tumour type: slices and mean Dice (NaN without slices of that type). */
    public Map<TumorType, double[]> perClass() {
        Map<TumorType, double[]> m = new EnumMap<>(TumorType.class);
        for (TumorType t : TumorType.values()) {
            List<SliceScore> of = scores.stream().filter(s -> s.label() == t).toList();
            m.put(t, new double[] {of.size(), of.stream().mapToDouble(SliceScore::dice).average().orElse(Double.NaN)});
        }
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "CheckpointScores[%s, %d slices, mean Dice %.4f +- %.4f, global Dice %.4f]", name,
                slices(), meanDice(), stdDice(), globalDice());
    }
}
