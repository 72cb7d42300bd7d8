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

    /** The sweep processes' first port: above the range training workers try from 7800. */
    static final int SWEEP_PORT = io.samtune.cluster.ClusterConfig.DEFAULT_PORT
            + io.samtune.cluster.ClusterConfig.DEFAULT_PORT_RANGE;

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

    @Option(names = "--rendezvous", paramLabel = "DIR", description = "Share the trials with the other sweep processes started with this folder (on any machines seeing --out): each takes trials not taken yet, and a trial of a process that dies moves to a live one.")
    Path rendezvous;

    @Option(names = "--bind", paramLabel = "HOST", description = "The address this sweep process listens on with --rendezvous (default: ${DEFAULT-VALUE}; the node's address across nodes).")
    String bind = "127.0.0.1";

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
        if (rendezvous != null && trialIndex != null) {
            throw Commands.badOption(spec, "--rendezvous shares all trials among sweep processes; --trial-index runs one:"
                    + " give one of them");
        }
        Sweep sweep;
        try {
            sweep = Sweep.create(specFile, out, resume || trialIndex != null || rendezvous != null);
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
            java.util.function.Consumer<String> console = line -> {
                err.println(line);
                err.flush();
            };
            io.samtune.sweep.WorkQueue queue = io.samtune.sweep.WorkQueue.local();
            if (rendezvous != null) {
                String member = "sweep-" + hostName() + "-" + ProcessHandle.current().pid();
                try {
                    queue = new io.samtune.sweep.ClusterWorkQueue(out, new io.samtune.cluster.WorkClaims(
                            io.samtune.cluster.JGroupsCluster.join(io.samtune.cluster.ClusterConfig.builder()
                                    .setGroup("samtune-sweep").setMember(member).optBindHost(bind)
                                    .optBindPort(SWEEP_PORT).setRendezvous(rendezvous).build()), console));
                } catch (io.samtune.cluster.ClusterException | IllegalArgumentException e) {
                    err.println("error: sweep process " + member + " cannot join the others in " + rendezvous + ": "
                            + e.getMessage());
                    return 1;
                }
                console.accept("sweep process " + member + " shares the trials through " + rendezvous);
            }
            int failed;
            try (io.samtune.sweep.WorkQueue q = queue) {
                failed = sweep.run(parallel, devices, perTrial, console, q);
            }
            code = failed > 0 ? 1 : 0;
        }
        o.print(sweep.summary().write());
        o.println("results: " + out.resolve("trials.csv") + ", " + out.resolve("summary.json") + ", plots in " + out);
        return code;
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9.-]", "-");
        } catch (java.io.IOException e) {
            return "host";
        }
    }
}
