package io.samtune.data;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The label values of a segmentation that make the binary target: listed ({@code 1,2,3}) or named.
 * BraTS and the Decathlon number tumour regions differently, so a name means:
 * <ul>
 *   <li>{@code wt} (whole tumour): every label above 0, in every layout;</li>
 *   <li>{@code tc} (tumour core): BraTS 1, 3 (and 4, the enhancing label before 2023); Decathlon 2, 3;</li>
 *   <li>{@code et} (enhancing tumour): BraTS 3 (and 4); Decathlon 3.</li>
 * </ul>
 *
 * @param spec the text given
 * @param values the labels in the target, or null for every label above 0
 */
public record LabelSet(String spec, Set<Integer> values) {

    /**
     * Parses a label set for a layout ({@code brats} or {@code decathlon}; others take only {@code wt}
     * or numbers).
     *
     * @throws IllegalArgumentException naming the choices
     */
    public static LabelSet parse(String spec, String layout) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        boolean decathlon = "decathlon".equals(layout);
        switch (s) {
            case "wt", "all":
                return new LabelSet(s, null);
            case "tc":
                return new LabelSet(s, decathlon ? Set.of(2, 3) : Set.of(1, 3, 4));
            case "et":
                return new LabelSet(s, decathlon ? Set.of(3) : Set.of(3, 4));
            default:
                break;
        }
        Set<Integer> v = new TreeSet<>();
        for (String p : s.split(",")) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n < 1) {
                    throw new IllegalArgumentException("--labels lists label values above 0 (0 is background), got " + n);
                }
                v.add(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--labels must be wt, tc, et or label values such as 1,2,3, got '"
                        + spec + "'");
            }
        }
        return new LabelSet(s, Set.copyOf(v));
    }

    /** Whether a label value is in the target. */
    public boolean contains(int label) {
        return values == null ? label > 0 : values.contains(label);
    }

    @Override
    public String toString() {
        return spec + (values == null ? " (labels > 0)" : " (labels " + new TreeSet<>(values) + ")");
    }
}
