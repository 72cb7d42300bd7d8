package io.samtune.data;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A dataset divided by patient into training, validation and test parts: no patient has slices in
 * two parts.
 *
 * @param train slices to train on
 * @param validation slices to pick the best checkpoint on
 * @param test held-out slices to report accuracy on
 */
public record DataSplit(List<SampleRef> train, List<SampleRef> validation, List<SampleRef> test) {

    /** The parts a command can select. */
    public enum Part {
        /** Training slices. */
        TRAIN,
        /** Validation slices. */
        VAL,
        /** Test slices. */
        TEST,
        /** Every slice. */
        ALL;

        /** Parses {@code train}, {@code val}, {@code test} or {@code all}, ignoring case. */
        public static Part parse(String s) {
            for (Part p : values()) {
                if (p.name().equalsIgnoreCase(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown split part '" + s + "', expected train, val, test or all");
        }

        /** The name used on the command line and in reports. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Copies the lists and checks that no patient is in two parts. */
    public DataSplit {
        train = List.copyOf(Objects.requireNonNull(train, "train"));
        validation = List.copyOf(Objects.requireNonNull(validation, "validation"));
        test = List.copyOf(Objects.requireNonNull(test, "test"));
        Set<String> a = patientsOf(train);
        Set<String> b = patientsOf(validation);
        Set<String> c = patientsOf(test);
        for (String p : b) {
            if (a.contains(p)) {
                throw new IllegalArgumentException("patient " + p + " is in both train and validation");
            }
        }
        for (String p : c) {
            if (a.contains(p) || b.contains(p)) {
                throw new IllegalArgumentException("patient " + p + " is in the test part and another part");
            }
        }
    }

    private static Set<String> patientsOf(List<SampleRef> slices) {
        Set<String> s = new HashSet<>();
        slices.forEach(i -> s.add(i.patientId()));
        return s;
    }

    /** The slices of one part ({@link Part#ALL}: train, then validation, then test). */
    public List<SampleRef> part(Part part) {
        return switch (part) {
            case TRAIN -> train;
            case VAL -> validation;
            case TEST -> test;
            case ALL -> {
                java.util.ArrayList<SampleRef> all = new java.util.ArrayList<>(train);
                all.addAll(validation);
                all.addAll(test);
                yield List.copyOf(all);
            }
        };
    }

    @Override
    public String toString() {
        return "DataSplit[train " + describe(train) + ", validation " + describe(validation) + ", test "
                + describe(test) + "]";
    }

    private static String describe(List<SampleRef> part) {
        return part.size() + " slices / " + patientsOf(part).size() + " patients";
    }
}
