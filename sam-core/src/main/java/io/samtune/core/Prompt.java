package io.samtune.core;

import io.samtune.data.BoxPrompt;
import io.samtune.data.PointPrompt;
import java.util.List;
import java.util.Objects;

/**
 * One prompt for one mask: any number of points, at most one box, and optionally a low-resolution
 * mask from an earlier prediction. Coordinates are in original image pixels (0-based, x = column).
 *
 * @param points foreground / background points, possibly empty
 * @param box the box, or null
 * @param maskInput low-res logits (h*w values, h = w = 4 x the embedding side), or null
 */
public record Prompt(List<PointPrompt> points, BoxPrompt box, float[] maskInput) {

    /** Validates that something is given. */
    public Prompt {
        points = List.copyOf(Objects.requireNonNull(points, "points"));
        if (points.isEmpty() && box == null && maskInput == null) {
            throw new IllegalArgumentException("a prompt needs a point, a box or a mask input");
        }
    }

    /** A box prompt. */
    public static Prompt of(BoxPrompt box) {
        return new Prompt(List.of(), box, null);
    }

    /** A point prompt. */
    public static Prompt of(PointPrompt... points) {
        return new Prompt(List.of(points), null, null);
    }

    /** A box plus points. */
    public static Prompt of(BoxPrompt box, PointPrompt... points) {
        return new Prompt(List.of(points), box, null);
    }

    /** This prompt with a low-res mask input (e.g. {@link Prediction#lowResLogits(int, int)}). */
    public Prompt withMaskInput(float[] lowResLogits) {
        return new Prompt(points, box, lowResLogits.clone());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Prompt[");
        if (box != null) {
            sb.append("box ").append(box.corners());
        }
        for (PointPrompt p : points) {
            sb.append(sb.length() > 7 ? ", " : "").append(p.foreground() ? "+" : "-").append(p.toString()
                    .replace("PointPrompt[", "").replace(", foreground]", "").replace(", background]", ""));
        }
        if (maskInput != null) {
            sb.append(sb.length() > 7 ? ", " : "").append("mask input");
        }
        return sb.append(']').toString();
    }
}
