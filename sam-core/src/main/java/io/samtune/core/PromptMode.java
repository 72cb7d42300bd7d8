package io.samtune.core;

import io.samtune.data.BinaryMask;
import io.samtune.data.BoxPrompt;
import io.samtune.data.Sample;
import io.samtune.data.PointPrompt;
import java.util.Locale;
import java.util.Random;

/**
 * Which prompt is made from a slice's ground-truth mask, for training and for scoring: its box,
 * one point on the tumour, or both.
 */
public enum PromptMode {
    /** The tight box around the mask. */
    BOX,
    /** One foreground point on the mask: the centroid, or the deepest mask pixel when the centroid is outside. */
    POINT,
    /** The box and the point. */
    BOX_POINT;

    /** Parses {@code box}, {@code point} or {@code box+point}. */
    public static PromptMode parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT).replace('_', '+')) {
            case "box" -> BOX;
            case "point" -> POINT;
            case "box+point", "point+box" -> BOX_POINT;
            default -> throw new IllegalArgumentException("unknown prompt '" + s + "': use box, point or box+point");
        };
    }

    /** The prompt for a sample, without jitter. */
    public Prompt promptFor(Sample slice) {
        return promptFor(slice, 0, null);
    }

    /**
     * The prompt for a sample.
     *
     * @param boxJitter largest move of each box side in pixels (0 for none)
     * @param rng randomness for the jitter; may be null when {@code boxJitter} is 0
     */
    public Prompt promptFor(Sample slice, int boxJitter, Random rng) {
        slice.box(); // an empty mask is refused naming the sample
        return promptFor(slice.mask(), boxJitter, rng);
    }

    /**
     * The prompt for a target mask (not empty).
     *
     * @param boxJitter largest move of each box side in pixels (0 for none)
     * @param rng randomness for the jitter; may be null when {@code boxJitter} is 0
     */
    public Prompt promptFor(BinaryMask target, int boxJitter, Random rng) {
        BoxPrompt box = BoxPrompt.fromMask(target);
        if (boxJitter > 0) {
            box = box.jitter(boxJitter, rng, target.width(), target.height());
        }
        PointPrompt point = PointPrompt.interior(target);
        return switch (this) {
            case BOX -> Prompt.of(box);
            case POINT -> Prompt.of(point);
            case BOX_POINT -> Prompt.of(box, point);
        };
    }

    /** The name used on the command line and in reports. */
    public String label() {
        return switch (this) {
            case BOX -> "box";
            case POINT -> "point";
            case BOX_POINT -> "box+point";
        };
    }

    @Override
    public String toString() {
        return label();
    }
}
