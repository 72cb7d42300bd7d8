package io.samtune.cli.command;

import io.samtune.sweep.Sweep;
import io.samtune.sweep.TrialMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune sweep}: runs the trials of a {@code sweep.json} as ordinary run folders in
 * {@code --out}, {@code --parallel} processes at a time (or one trial with {@code --trial-index}),
 * then writes {@code trials.csv}, {@code summary.json}, plots and the best decoder; {@code --summary}
 * only tabulates what the folder holds.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Hyperparameter sweep: train every trial of a sweep.json, with early stopping, and tabulate them.",
        footer = {"", "Each trial is a run folder (SWEEP_DIR/trial-007/) that samtune train --resume can continue.",
            "Exit codes: 0 every trial finished or was stopped by the scheduler; 1 a trial failed; 2 bad options or spec."})
public final class SweepCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--spec", paramLabel = "sweep.json", description = "The sweep: base settings, search space, scheduler.")
    Path specFile;

    @Option(names = "--out", paramLabel = "SWEEP_DIR", required = true, description = "The sweep folder (trials, rungs, results).")
    Path out;

    @Option(names = "--parallel", paramLabel = "N", description = "Trials at once, one process each (default: ${DEFAULT-VALUE}).")
    int parallel = 1;

    @Option(names = "--devices", paramLabel = "D1,D2,...", split = ",", description = "Devices given out to the trials round-robin (default: each trial's setting).")
    List<String> devices = List.of();

    @Option(names = "--threads", paramLabel = "N", description = "libtorch threads per trial (default: the cores divided among --parallel trials).")
    Integer threads;

    @Option(names = "--resume", description = "Continue the sweep in --out: finished and stopped trials are kept, interrupted ones resume.")
    boolean resume;

    @Option(names = "--trial-index", paramLabel = "I", description = "Run only trial I in this process (e.g. $SLURM_ARRAY_TASK_ID); trials sharing --out cooperate.")
    Integer trialIndex;

    @Option(names = "--summary", description = "Only write trials.csv, summary.json, the plots and the best decoder from what --out holds.")
    boolean summary;

    /** Runs {@code samtune sweep} with these arguments; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new SweepCommand(), out, err, args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (summary && specFile == null) {
            try {
                o.print(Sweep.open(out).summary().write());
                return 0;
            } catch (IOException e) {
                err.println("error: " + e.getMessage());
                return 1;
            }
        }
        if (specFile == null) {
            throw Commands.badOption(spec, "give --spec sweep.json (or --summary to tabulate the sweep in --out)");
        }
        if (parallel < 1) {
            throw Commands.badOption(spec, "--parallel must be >= 1, got " + parallel);
        }
        Sweep sweep;
        try {
            sweep = Sweep.create(specFile, out, resume || trialIndex != null);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("already holds a sweep")
                    || e.getMessage() != null && e.getMessage().contains("cannot resume")) {
                err.println("error: " + e.getMessage());
                return 1;
            }
            throw Commands.badOption(spec, "--spec " + e.getMessage());
        }
        int code;
        if (trialIndex != null) {
            if (trialIndex < 0 || trialIndex >= sweep.trials().size()) {
                throw Commands.badOption(spec, "--trial-index " + trialIndex + ": the sweep has trials 0.."
                        + (sweep.trials().size() - 1));
            }
            code = TrialMain.run(out, trialIndex, devices.isEmpty() ? null : devices.get(trialIndex % devices.size()),
                    false);
        } else {
            err.println("sweep: " + sweep.trials().size() + " trials, " + parallel + " at a time, scheduler "
                    + sweep.spec().scheduler() + ", " + sweep.spec().maxEpochs() + " epochs at most");
            int perTrial = threads != null ? threads
                    : Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, parallel));
            int failed = sweep.run(parallel, devices, perTrial, line -> {
                err.println(line);
                err.flush();
            });
            code = failed > 0 ? 1 : 0;
        }
        o.print(sweep.summary().write());
        o.println("results: " + out.resolve("trials.csv") + ", " + out.resolve("summary.json") + ", plots in " + out);
        return code;
    }
}
