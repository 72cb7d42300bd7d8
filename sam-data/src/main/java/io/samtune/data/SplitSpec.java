package io.samtune.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * How to divide a dataset by patient, the same way for training and for scoring, so the test part
 * is never trained on. Three modes:
 * <ul>
 *   <li>fractions (default): patients shuffled with the seed; {@code testFraction} of them are the
 *       test part, {@code valFraction} the validation part, the rest train;</li>
 *   <li>k-fold ({@code folds > 0}): patients shuffled with the seed and dealt round-robin into
 *       {@code folds} folds; fold {@code fold} (1-based) is the test part;</li>
 *   <li>the dataset's own index ({@code cvIndex}): slices whose {@code cvind.mat} entry equals
 *       {@code fold} are the test part.</li>
 * </ul>
 * In the last two modes {@code valFraction} of the remaining patients form the validation part.
 * Deterministic for a given seed. Build with {@link #builder()}.
 *
 * @param valFraction fraction of patients for validation, in {@code [0, 1)}
 * @param testFraction fraction of patients for test in fraction mode, in {@code [0, 1)}
 * @param folds number of folds, 0 for fraction mode
 * @param fold test fold, 1-based (k-fold and index modes)
 * @param cvIndex the dataset's cross-validation index file, or null
 * @param seed seed for shuffling patients
 */
public record SplitSpec(double valFraction, double testFraction, int folds, int fold, Path cvIndex, long seed) {

    /** Default seed for splits. */
    public static final long DEFAULT_SEED = 42;

    private static final long SHUFFLE_STREAM = 0x5eed_5b11L;
    private static final long VALIDATION_STREAM = 0x7a11_da7eL;

    /** Validates ranges. */
    public SplitSpec {
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("valFraction must be in [0, 1), got " + valFraction);
        }
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new IllegalArgumentException("testFraction must be in [0, 1), got " + testFraction);
        }
        if (folds == 0 && cvIndex == null && valFraction + testFraction >= 1) {
            throw new IllegalArgumentException("valFraction + testFraction must be < 1 to leave slices to train on, got "
                    + (valFraction + testFraction));
        }
        if (folds < 0 || folds == 1) {
            throw new IllegalArgumentException("folds must be 0 (no k-fold) or >= 2, got " + folds);
        }
        if (folds > 0 && cvIndex != null) {
            throw new IllegalArgumentException("choose either k-fold (folds) or the dataset's index (cvIndex), not both");
        }
        if ((folds > 0 || cvIndex != null) && (fold < 1 || (folds > 0 && fold > folds))) {
            throw new IllegalArgumentException("fold must be in 1.." + (folds > 0 ? folds : "K") + ", got " + fold);
        }
    }

    /** A builder with defaults: 10% validation, 20% test, seed 42. */
    public static Builder builder() {
        return new Builder();
    }

    /** The default split: 10% of patients for validation, 20% for test, seed 42. */
    public static SplitSpec defaults() {
        return builder().build();
    }

    /**
     * Splits an index.
     *
     * @throws MatFileException if the cross-validation index cannot be read
     * @throws DatasetException if the split leaves no slice to train on, or the index file puts one
     *     patient's slices in two folds
     */
    public DataSplit split(SliceIndex index) throws MatFileException, DatasetException {
        List<SampleRef> all = index.infos();
        Set<String> testPatients = new HashSet<>();
        List<String> patients = sortedPatients(all);
        List<String> rest = new ArrayList<>();
        if (cvIndex != null) {
            CrossValidationIndex cv = CrossValidationIndex.read(cvIndex);
            if (fold > cv.foldCount()) {
                throw new DatasetException(cvIndex + " has " + cv.foldCount() + " folds, so fold " + fold + " does not exist");
            }
            Map<String, Integer> foldOfPatient = new TreeMap<>();
            for (SampleRef s : all) {
                int f;
                try {
                    f = cv.foldOf(s);
                } catch (IllegalArgumentException e) {
                    throw new DatasetException(e.getMessage());
                }
                Integer prev = foldOfPatient.putIfAbsent(s.patientId(), f);
                if (prev != null && prev != f) {
                    throw new DatasetException(cvIndex + " puts slices of patient " + s.patientId() + " in folds "
                            + prev + " and " + f + "; splits must keep a patient in one part");
                }
            }
            foldOfPatient.forEach((p, f) -> {
                if (f == fold) {
                    testPatients.add(p);
                } else {
                    rest.add(p);
                }
            });
        } else {
            List<String> shuffled = new ArrayList<>(patients);
            Collections.shuffle(shuffled, new Random(seed ^ SHUFFLE_STREAM));
            if (folds > 0) {
                if (folds > shuffled.size()) {
                    throw new DatasetException("k-fold split of " + folds + " folds, but the data hold "
                            + shuffled.size() + " patients: give --folds of at most " + shuffled.size());
                }
                for (int i = 0; i < shuffled.size(); i++) {
                    if (i % folds + 1 == fold) {
                        testPatients.add(shuffled.get(i));
                    } else {
                        rest.add(shuffled.get(i));
                    }
                }
            } else {
                int nTest = count(shuffled.size(), testFraction);
                testPatients.addAll(shuffled.subList(0, nTest));
                rest.addAll(shuffled.subList(nTest, shuffled.size()));
            }
        }
        Collections.sort(rest);
        List<String> restShuffled = new ArrayList<>(rest);
        Collections.shuffle(restShuffled, new Random(seed ^ VALIDATION_STREAM));
        double valShare = folds == 0 && cvIndex == null ? valFraction * patients.size() / Math.max(1, rest.size())
                : valFraction;
        int nVal = Math.min(count(restShuffled.size(), Math.min(valShare, 1)), Math.max(0, restShuffled.size() - 1));
        Set<String> valPatients = new HashSet<>(restShuffled.subList(0, nVal));

        List<SampleRef> train = new ArrayList<>();
        List<SampleRef> val = new ArrayList<>();
        List<SampleRef> test = new ArrayList<>();
        for (SampleRef s : all) {
            (testPatients.contains(s.patientId()) ? test : valPatients.contains(s.patientId()) ? val : train).add(s);
        }
        if (train.isEmpty()) {
            throw new DatasetException("split " + this + " leaves no slice to train on (" + patients.size()
                    + " patients); use smaller fractions or more data");
        }
        return new DataSplit(train, val, test);
    }

    /** Number of patients for a fraction: rounded, but at least one when the fraction is positive. */
    private static int count(int n, double fraction) {
        if (fraction <= 0 || n == 0) {
            return 0;
        }
        return Math.max(1, (int) Math.round(n * fraction));
    }

    private static List<String> sortedPatients(List<SampleRef> all) {
        return all.stream().map(SampleRef::patientId).distinct().sorted().toList();
    }

    /** Every setting as JSON; {@link #fromJson} reads it back to an equal spec. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("valFraction", valFraction);
        o.addProperty("testFraction", testFraction);
        o.addProperty("folds", folds);
        o.addProperty("fold", fold);
        if (cvIndex != null) {
            o.addProperty("cvIndex", cvIndex.toString());
        }
        o.addProperty("seed", seed);
        return o;
    }

    /**
     * A spec from JSON written by {@link #toJson}; absent keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown keys, wrong types or ranges
     */
    public static SplitSpec fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("split", json);
        Builder d = builder();
        SplitSpec s = new SplitSpec(j.number("valFraction", d.valFraction), j.number("testFraction", d.testFraction),
                j.int32("folds", 0), j.int32("fold", 1), j.path("cvIndex", null), j.integer("seed", d.seed));
        j.finish();
        return s;
    }

    @Override
    public String toString() {
        String mode = cvIndex != null ? "cvIndex=" + cvIndex + ", fold=" + fold
                : folds > 0 ? "folds=" + folds + ", fold=" + fold
                : String.format(Locale.ROOT, "testFraction=%s", testFraction);
        return "SplitSpec[" + mode + ", valFraction=" + valFraction + ", seed=" + seed + "]";
    }

    /** Builds a {@link SplitSpec}; every setting is optional. */
    public static final class Builder {
        private double valFraction = 0.1;
        private double testFraction = 0.2;
        private int folds;
        private int fold = 1;
        private Path cvIndex;
        private long seed = DEFAULT_SEED;

        private Builder() {
        }

        /** Fraction of patients for validation (default 0.1). */
        public Builder optValFraction(double v) {
            this.valFraction = v;
            return this;
        }

        /** Fraction of patients for test in fraction mode (default 0.2). */
        public Builder optTestFraction(double v) {
            this.testFraction = v;
            return this;
        }

        /** K-fold mode: {@code folds} folds, fold {@code fold} (1-based) as the test part. */
        public Builder optFolds(int folds, int fold) {
            this.folds = folds;
            this.fold = fold;
            return this;
        }

        /** The dataset's own index ({@code cvind.mat}), fold {@code fold} (1-based) as the test part. */
        public Builder optCvIndex(Path cvIndex, int fold) {
            this.cvIndex = cvIndex;
            this.fold = fold;
            return this;
        }

        /** Seed for shuffling patients (default 42). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Validates and builds. */
        public SplitSpec build() {
            return new SplitSpec(valFraction, testFraction, folds, fold, cvIndex, seed);
        }
    }
}
