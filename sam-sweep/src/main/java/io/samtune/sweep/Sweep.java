package io.samtune.sweep;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.io.AtomicFiles;
import io.samtune.core.io.JavaProcess;
import io.samtune.train.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A sweep folder: its resolved spec ({@value #SPEC}, the base settings inline), one ordinary run
 * folder per trial ({@code trial-007/}, resumable with {@code samtune train --resume}), the
 * scheduler's rung files, and the results ({@link SweepSummary}). Trials run as separate processes,
 * {@code parallel} at a time, with devices given out round-robin.
 */
public final class Sweep {

    /** The resolved spec in the sweep folder. */
    public static final String SPEC = "sweep.json";

    /** Times a trial is started again while another process holds its folder, before it counts as failed. */
    private static final int MAX_BUSY = 5;

    private final Path folder;
    private final SweepSpec spec;

    private Sweep(Path folder, SweepSpec spec) {
        this.folder = folder;
        this.spec = spec;
    }

    /**
     * Creates the sweep folder from a spec file, or opens it to resume.
     *
     * @param resume continue a sweep the folder holds (its spec must be the same)
     * @throws IOException if the folder holds another sweep, or holds one and {@code resume} is false
     */
    public static Sweep create(Path specFile, Path folder, boolean resume) throws IOException {
        SweepSpec spec = SweepSpec.read(specFile);
        JsonObject resolved = JsonParser.parseString(Files.readString(specFile)).getAsJsonObject();
        resolved.add("base", spec.base().toJson()); // inline: the trials need no file outside the folder
        Path target = folder.resolve(SPEC);
        if (Files.exists(target)) {
            JsonElement saved = JsonParser.parseString(Files.readString(target));
            if (!resume) {
                throw new IOException(folder + " already holds a sweep; continue it with --resume, or choose another"
                        + " --out (nothing was overwritten)");
            }
            if (!saved.equals(resolved)) {
                throw new IOException("cannot resume the sweep in " + folder + ": " + specFile + " differs from the"
                        + " spec it started with (" + target + "); resume with that spec, or start another --out");
            }
        } else {
            Files.createDirectories(folder);
            AtomicFiles.writeString(target, resolved.toString());
        }
        return new Sweep(folder, SweepSpec.read(target));
    }

    /** Opens an existing sweep folder (for a summary, or one trial). */
    public static Sweep open(Path folder) throws IOException {
        Path target = folder.resolve(SPEC);
        if (!Files.isRegularFile(target)) {
            throw new IOException(folder + " holds no sweep (no " + SPEC + "); start one with --spec");
        }
        return new Sweep(folder, SweepSpec.read(target));
    }

    /** The folder. */
    public Path folder() {
        return folder;
    }

    /** The spec (base inline). */
    public SweepSpec spec() {
        return spec;
    }

    /** The trials, in order. */
    public List<Trial> trials() {
        return spec.trials();
    }

    /** The trial's status: {@code finished}, {@code stopped}, {@code failed}, {@code interrupted} (a checkpoint, no status) or {@code pending}. */
    public String status(Trial t) throws IOException {
        Path f = folder.resolve(t.folderName()).resolve(TrialMain.STATUS);
        if (Files.isRegularFile(f)) {
            return JsonParser.parseString(Files.readString(f)).getAsJsonObject().get("status").getAsString();
        }
        return new RunDirectory(folder.resolve(t.folderName())).hasState() ? "interrupted" : "pending";
    }

    /**
     * Runs every trial that is not finished, stopped or failed, {@code parallel} processes at a time.
     *
     * @param devices devices given out round-robin (empty: the settings' device)
     * @param threads libtorch threads per trial (0: libtorch's choice)
     * @param console told as trials start and end
     * @return the number of trials that failed
     */
    public int run(int parallel, List<String> devices, int threads, Consumer<String> console)
            throws IOException, InterruptedException {
        return run(parallel, devices, threads, console, WorkQueue.local());
    }

    /**
     * As {@link #run(int, List, int, Consumer)}, taking only the trials {@code queue} gives this
     * process; with several processes sharing the folder, each returns once every trial has ended
     * (or was tried here), the others' included.
     */
    public int run(int parallel, List<String> devices, int threads, Consumer<String> console, WorkQueue queue)
            throws IOException, InterruptedException {
        for (Trial t : trials()) {
            String s = status(t);
            if (ended(s)) {
                console.accept(t.folderName() + ": " + s + " before, kept");
            }
        }
        java.util.Set<Integer> tried = new java.util.HashSet<>();
        java.util.Map<Integer, Integer> busy = new java.util.HashMap<>();
        List<Process> running = new ArrayList<>();
        List<Trial> runningTrials = new ArrayList<>();
        int failed = 0;
        int started = 0;
        Thread cleanup = new Thread(() -> running.forEach(Process::destroy));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            while (true) {
                List<Trial> open = new ArrayList<>();
                for (Trial t : trials()) {
                    if (!tried.contains(t.index()) && !ended(status(t))) { // running trials were tried
                        open.add(t);
                    }
                }
                if (open.isEmpty() && running.isEmpty()) {
                    break;
                }
                boolean startedOne = false;
                for (Trial t : open) {
                    if (running.size() >= Math.max(1, parallel)) {
                        break;
                    }
                    if (!queue.take(t)) {
                        continue; // another sweep process runs it
                    }
                    tried.add(t.index());
                    String device = devices.isEmpty() ? null : devices.get(started % devices.size());
                    started++;
                    running.add(start(t, device, threads));
                    runningTrials.add(t);
                    startedOne = true;
                    console.accept(t.folderName() + ": started " + t.parameters() + (device == null ? "" : " on " + device));
                }
                for (int i = running.size() - 1; i >= 0; i--) {
                    Process p = running.get(i);
                    if (p.waitFor(100, TimeUnit.MILLISECONDS)) {
                        Trial t = runningTrials.get(i);
                        String s = status(t);
                        if (p.exitValue() == TrialMain.BUSY && busy.merge(t.index(), 1, Integer::sum) <= MAX_BUSY) {
                            // another process (a trial of a sweep process that died) still trains in its folder
                            console.accept(t.folderName() + ": its folder is still in use by another process; starting it"
                                    + " again once that ends");
                            tried.remove(t.index());
                            running.remove(i);
                            runningTrials.remove(i);
                            continue;
                        }
                        if (s.equals("failed") || p.exitValue() != 0) {
                            failed++;
                        }
                        if (!ended(s)) {
                            queue.release(t);
                        }
                        console.accept(t.folderName() + ": " + s + (p.exitValue() == 0 ? "" : " (exit " + p.exitValue()
                                + "; log in " + folder.resolve(t.folderName()).resolve("trial.log") + ")"));
                        running.remove(i);
                        runningTrials.remove(i);
                    }
                }
                if (running.isEmpty() && !startedOne) {
                    Thread.sleep(250); // the open trials are other processes': wait for them to end
                }
            }
        } finally {
            Runtime.getRuntime().removeShutdownHook(cleanup);
            running.forEach(Process::destroy);
        }
        return failed;
    }

    private static boolean ended(String status) {
        return status.equals("finished") || status.equals("stopped") || status.equals("failed");
    }

    private Process start(Trial t, String device, int threads) throws IOException, InterruptedException {
        Path dir = folder.resolve(t.folderName());
        Files.createDirectories(dir);
        awaitUnlocked(dir);
        List<String> cmd = new ArrayList<>(JavaProcess.command(Map.of(TrialMain.SWEEP_PID,
                Long.toString(ProcessHandle.current().pid())), TrialMain.class, folder.toAbsolutePath().toString(),
                Integer.toString(t.index())));
        if (device != null) {
            cmd.add(device);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("trial.log").toFile()));
        if (threads > 0) {
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        }
        pb.environment().putIfAbsent("OPT_OUT_TRACKING", "true");
        return pb.start();
    }

    /**
     * Waits (up to two minutes) while another process still trains in the trial's folder: after the
     * sweep was killed its trials checkpoint and stop by themselves, which takes a moment.
     */
    private static void awaitUnlocked(Path dir) throws InterruptedException, IOException {
        Path lock = dir.resolve(RunDirectory.LOCK);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (Files.isRegularFile(lock) && System.nanoTime() < deadline) {
            String text = Files.readString(lock).replaceAll("[^0-9]", " ").trim();
            long pid;
            try {
                pid = text.isEmpty() ? -1 : Long.parseLong(text.split(" +")[0]);
            } catch (NumberFormatException e) {
                return;
            }
            if (pid < 0 || pid == ProcessHandle.current().pid()
                    || !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                return;
            }
            Thread.sleep(200);
        }
    }

    /** The results table, summary and plots from what the folder holds now. */
    public SweepSummary summary() throws IOException {
        return SweepSummary.of(this);
    }

    @Override
    public String toString() {
        return "Sweep[" + folder + ", " + trials().size() + " trials, " + spec.scheduler() + "]";
    }

}
