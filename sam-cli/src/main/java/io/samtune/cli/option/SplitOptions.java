package io.samtune.cli.option;

import io.samtune.data.SplitSpec;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The patient-level split options, shared by every command that splits a dataset so that
 * {@code train} and {@code test-accuracy} given the same options see the same parts.
 */
public final class SplitOptions {

    @Option(names = "--val-fraction", paramLabel = "F", description = "Fraction of patients for validation (default: ${DEFAULT-VALUE}).")
    double valFraction = 0.1;

    @Option(names = "--test-fraction", paramLabel = "F", description = "Fraction of patients held out for test (default: ${DEFAULT-VALUE}).")
    double testFraction = 0.2;

    @Option(names = "--folds", paramLabel = "K", description = "K-fold split by patient; use with --fold.")
    int folds;

    @Option(names = "--fold", paramLabel = "I", description = "Test fold, 1-based, for --folds or --cv-index (default: ${DEFAULT-VALUE}).")
    int fold = 1;

    @Option(names = "--cv-index", paramLabel = "cvind.mat", description = "The dataset's own 5-fold index file; use with --fold.")
    Path cvIndex;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for the split and anything random (default: ${DEFAULT-VALUE}).")
    long seed = SplitSpec.DEFAULT_SEED;

    /** The seed given on the command line. */
    public long seed() {
        return seed;
    }

    /**
     * The split these options describe.
     *
     * @throws IllegalArgumentException if the options contradict each other
     */
    public SplitSpec toSpec() {
        SplitSpec.Builder b = SplitSpec.builder().optValFraction(valFraction).optTestFraction(testFraction).optSeed(seed);
        if (cvIndex != null) {
            b.optCvIndex(cvIndex, fold);
        } else if (folds > 0) {
            b.optFolds(folds, fold);
        }
        return b.build();
    }
}
