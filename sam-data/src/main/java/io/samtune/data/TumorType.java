package io.samtune.data;

import java.util.Locale;

/** The three tumour classes of the figshare dataset, with the dataset's numeric label. */
public enum TumorType {
    /** Label 1. */
    MENINGIOMA(1),
    /** Label 2. */
    GLIOMA(2),
    /** Label 3. */
    PITUITARY(3);

    private final int code;

    TumorType(int code) {
        this.code = code;
    }

    /** The dataset's numeric label: 1 meningioma, 2 glioma, 3 pituitary. */
    public int code() {
        return code;
    }

    /** Lower-case name as used in reports, e.g. {@code "glioma"}. */
    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The type for a dataset label.
     *
     * @throws IllegalArgumentException if {@code code} is not 1, 2 or 3
     */
    public static TumorType fromCode(int code) {
        for (TumorType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("tumour label must be 1, 2 or 3, got " + code);
    }

    /** The type whose {@link #displayName()} is {@code name} (any case), or null for anything else. */
    public static TumorType fromName(String name) {
        if (name == null) {
            return null;
        }
        for (TumorType t : values()) {
            if (t.displayName().equalsIgnoreCase(name)) {
                return t;
            }
        }
        return null;
    }

    /** How many items are of each type, every type present (0 for none), in enum order. */
    public static <T> java.util.Map<TumorType, Integer> count(java.util.Collection<? extends T> items,
                                                             java.util.function.Function<? super T, TumorType> type) {
        java.util.Map<TumorType, Integer> counts = new java.util.EnumMap<>(TumorType.class);
        for (TumorType t : values()) {
            counts.put(t, 0);
        }
        items.forEach(i -> {
            TumorType t = type.apply(i);
            if (t != null) {
                counts.merge(t, 1, Integer::sum);
            }
        });
        return java.util.Collections.unmodifiableMap(counts);
    }
}
