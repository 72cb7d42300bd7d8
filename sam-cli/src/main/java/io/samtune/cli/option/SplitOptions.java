package io.samtune.cli.option;

import io.samtune.data.SplitSpec;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The patient-level split options, shared by every command that splits a dataset so that
 * {@code train} and {@code test-accuracy} given the same options see the same parts. The split has
 * its own seed: {@code train --seed} never moves a patient between parts.
 */
public final class SplitOptions {

    @Option(names = "--val-fraction", paramLabel = "F", description = "Fraction of patients for validation (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--test-fraction", paramLabel = "F", description = "Fraction of patients held out for test (default: ${DEFAULT-VALUE}).")
    double testFraction;

    @Option(names = "--folds", paramLabel = "K", description = "K-fold split by patient; use with --fold.")
    int folds;

    @Option(names = "--fold", paramLabel = "I", description = "Test fold, 1-based, for --folds or --cv-index (default: ${DEFAULT-VALUE}).")
    int fold;

    @Option(names = "--cv-index", paramLabel = "cvind.mat", description = "The dataset's own 5-fold index file; use with --fold.")
    Path cvIndex;

    @Option(names = "--split-seed", paramLabel = "S", description = "Seed that shuffles patients into parts (default: ${DEFAULT-VALUE}).")
    long splitSeed;

    /**
     * The split these options describe, starting from {@code base} (a run's) for what is not given.
     *
     * @throws IllegalArgumentException if the options contradict each other
     */
    public SplitSpec apply(SplitSpec base, CommandSpec spec) {
        SplitSpec.Builder b = SplitSpec.builder().optValFraction(base.valFraction()).optTestFraction(base.testFraction())
                .optSeed(base.seed());
        if (base.cvIndex() != null) {
            b.optCvIndex(base.cvIndex(), base.fold());
        } else if (base.folds() > 0) {
            b.optFolds(base.folds(), base.fold());
        }
        if (Options.given(spec, "--val-fraction")) {
            b.optValFraction(valFraction);
        }
        if (Options.given(spec, "--test-fraction")) {
            b.optTestFraction(testFraction);
        }
        if (Options.given(spec, "--split-seed")) {
            b.optSeed(splitSeed);
        }
        int f = Options.given(spec, "--fold") ? fold : base.fold();
        if (cvIndex != null) {
            b.optCvIndex(cvIndex, f);
        } else if (Options.given(spec, "--folds")) {
            b.optFolds(folds, f);
        } else if (Options.given(spec, "--fold")) {
            if (base.cvIndex() != null) {
                b.optCvIndex(base.cvIndex(), f);
            } else if (base.folds() > 0) {
                b.optFolds(base.folds(), f);
            } else {
                throw new IllegalArgumentException("--fold needs --folds K or --cv-index cvind.mat");
            }
        }
        return b.build();
    }
}
