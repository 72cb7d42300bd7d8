package io.samtune.sweep;

import com.google.gson.JsonObject;
import io.samtune.core.io.AtomicFiles;
import io.samtune.train.FineTuning;
import io.samtune.train.RunDirectory;
import io.samtune.train.RunFolderInUseException;
import io.samtune.train.TrainingConfig;
import io.samtune.train.TrainingInterruptedException;
import io.samtune.train.TrainingListener;
import io.samtune.train.TrainingResult;
import io.samtune.train.TrainingView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One trial in its own process (the engine allows one gradient collector per JVM): trains trial
 * {@code I} of the sweep in {@code SWEEP_DIR} into {@code SWEEP_DIR/trial-III/} (resuming its
 * checkpoint when there is one), asks the sweep's scheduler at every epoch end whether to go on,
 * and writes {@value #STATUS} ({@code finished}, {@code stopped} or {@code failed}). It stops,
 * checkpointed, when the process that started it dies.
 *
 * <p>{@code java -cp ... io.samtune.sweep.TrialMain SWEEP_DIR I [DEVICE]}
 */
public final class TrialMain {

    /** The trial's outcome in its folder. */
    public static final String STATUS = "status.json";

    /** Exit code when another process still trains in the trial's folder: the sweep starts it again later. */
    public static final int BUSY = 75;

    /** System property with the pid of the sweep process that started the trial (watched instead of the parent). */
    static final String SWEEP_PID = "samtune.sweep.pid";

    private TrialMain() {
    }

    /**
     * Runs one trial; exit 0 when it finished or was stopped by the scheduler, 1 when it failed, 143
     * when interrupted (or its sweep had ended), {@value #BUSY} when another process holds its folder.
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: TrialMain SWEEP_DIR INDEX [DEVICE]");
            System.exit(2);
        }
        String pid = System.getProperty(SWEEP_PID);
        // the sweep's own pid: a trial started just before its sweep died would see init as its parent
        Optional<ProcessHandle> sweep = pid == null ? ProcessHandle.current().parent() : ProcessHandle.of(Long.parseLong(pid));
        if (pid != null && sweep.filter(ProcessHandle::isAlive).isEmpty()) {
            System.err.println("trial " + args[1] + ": the sweep that started it has ended; nothing done");
            System.exit(143);
        }
        System.exit(run(Path.of(args[0]), Integer.parseInt(args[1]), args.length > 2 ? args[2] : null, sweep.orElse(null)));
    }

    /**
     * Runs trial {@code index} of the sweep in {@code dir} in this process.
     *
     * @param device a device for this trial, or null for the settings'
     * @param watchParent stop (checkpointed) when the parent process dies
     * @return the exit code
     */
    public static int run(Path dir, int index, String device, boolean watchParent) throws IOException {
        return run(dir, index, device, watchParent ? ProcessHandle.current().parent().orElse(null) : null);
    }

    /** As {@link #run(Path, int, String, boolean)}, stopping when {@code sweep} ends (null: watching none). */
    private static int run(Path dir, int index, String device, ProcessHandle sweep) throws IOException {
        SweepSpec spec = SweepSpec.read(dir.resolve(Sweep.SPEC));
        if (index < 0 || index >= spec.trials().size()) {
            throw new IOException("trial " + index + " does not exist: the sweep in " + dir + " has trials 0.."
                    + (spec.trials().size() - 1));
        }
        Trial trial = spec.trials().get(index);
        TrainingConfig config = trial.config();
        if (device != null) {
            config = config.toBuilder().optModel(config.model().toBuilder().optDevice(device).build()).build();
        }
        RunDirectory run = new RunDirectory(dir.resolve(trial.folderName()));
        SweepScheduler scheduler = new SweepScheduler(spec, dir);
        boolean[] stopped = {false};
        TrainingListener asks = new TrainingListener() {
            @Override
            public void onEpochEnd(TrainingView view) {
                double metric = spec.metric().equals("loss") ? view.epochMeanLoss() : view.valDice();
                try {
                    stopped[0] = !scheduler.record(index, view.epoch() + 1, metric);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public boolean wantsStop(TrainingView view) {
                return stopped[0];
            }
        };
        FineTuning job = new FineTuning(config).addListener(asks);
        RunDirectory.Lock hold;
        try {
            hold = run.lock(); // before anything is written: a folder another process trains in is not this one's to fail
        } catch (RunFolderInUseException e) {
            System.err.println("trial " + index + ": " + e.getMessage() + "; the sweep starts it again when that ends");
            return BUSY;
        }
        try (hold) {
            if (sweep != null) {
                Thread t = new Thread(() -> {
                    sweep.onExit().join();
                    job.requestStop();
                }, "sweep-parent-watch");
                t.setDaemon(true);
                t.start();
            }
            return train(job, hold, index, trial, stopped);
        }
    }

    private static int train(FineTuning job, RunDirectory.Lock hold, int index, Trial trial, boolean[] stopped) throws IOException {
        JsonObject status = new JsonObject();
        status.addProperty("trial", index);
        status.add("parameters", trial.parameters());
        RunDirectory run = hold.run();
        int code;
        try {
            if (!run.hasState()) {
                // the trial's folder is the sweep's own: decoders of a first checkpoint a kill interrupted (no state
                // yet) are what this deterministic trial writes again, so they go and the trial starts over
                for (String f : java.util.List.of(RunDirectory.DECODER_BEST, RunDirectory.DECODER_LAST)) {
                    java.nio.file.Files.deleteIfExists(run.file(f));
                }
            }
            TrainingResult r = job.run(hold, run.hasState());
            status.addProperty("status", stopped[0] ? "stopped" : "finished");
            status.addProperty("epochs", r.epochs());
            code = 0;
        } catch (TrainingInterruptedException e) {
            System.err.println("trial " + index + " stopped at step " + e.step() + "; the sweep resumes it with --resume");
            return 143;
        } catch (IOException | RuntimeException e) {
            status.addProperty("status", "failed");
            status.addProperty("message", String.valueOf(e.getMessage()));
            System.err.println("trial " + index + " failed: " + e.getMessage());
            code = 1;
        }
        AtomicFiles.writeString(run.file(STATUS), status.toString());
        return code;
    }
}
