package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.Safetensors;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.core.io.AtomicFiles;
import io.samtune.core.io.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The folder of one training run: {@code decoder-last.safetensors}, {@code decoder-best.safetensors}
 * (keys {@code mask_decoder.<param>}), {@code training-state.safetensors} (weights, optimizer
 * moments, the best decoder's weights, counters and a checksum: everything a resume needs),
 * {@code metrics.jsonl}, {@code run.json} and {@code curves.png}.
 *
 * <p>A checkpoint is one unit: the decoder files are written first and the training state last, and
 * the state records how long {@code metrics.jsonl} was. A resume rolls the folder back to the state
 * (decoders rewritten from it, metrics cut to its length), so a kill at any instant leaves either the
 * old or the new checkpoint. A run holds an OS lock on the folder for its life; run files are never
 * written through symbolic links.
 */
public final class RunDirectory {

    /** The decoder after the latest checkpoint. */
    public static final String DECODER_LAST = "decoder-last.safetensors";
    /** The decoder with the best validation Dice (or the last, with {@code --select last}). */
    public static final String DECODER_BEST = "decoder-best.safetensors";
    /** Weights, optimizer state, best decoder and counters for {@code --resume}. */
    public static final String STATE = "training-state.safetensors";
    /** One JSON object per logged step and per validation. */
    public static final String METRICS = "metrics.jsonl";
    /** Resolved settings, data, checkpoint hashes and versions. */
    public static final String RUN = "run.json";
    /** Loss and validation-Dice plot. */
    public static final String CURVES = "curves.png";
    /** The lock file held by the process running the run. */
    public static final String LOCK = ".lock";

    static final String STATE_FORMAT = "samtune-training-state";
    static final String STATE_FORMAT_VERSION = "2";
    private static final Set<String> READABLE_STATE_VERSIONS = Set.of("1", "2");
    private static final String BEST_PREFIX = "best.";
    private static final String OPTIMIZER_PREFIX = "optimizer.";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    private static final Gson GSON_COMPACT = new GsonBuilder().disableHtmlEscaping().create();
    private static final Map<Path, Held> LOCKS = new ConcurrentHashMap<>();

    private final Path dir;
    private Consumer<String> fileEvents = name -> { };
    private long savedStep = -1;

    /** A run folder (created when first written). */
    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** The folder. */
    public Path path() {
        return dir;
    }

    /** A file of the run. */
    public Path file(String name) {
        return dir.resolve(name);
    }

    /** True when the folder holds a resumable training state. */
    public boolean hasState() {
        return Files.isRegularFile(file(STATE), LinkOption.NOFOLLOW_LINKS);
    }

    /** True when the folder holds any file of a run (state, decoders, metrics or {@code run.json}). */
    public boolean holdsRun() {
        return holdsTraining() || Files.exists(file(RUN), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * True when the folder holds what a checkpoint writes (state, decoders): work a fresh start must not
     * overwrite. Metrics alone are the log of a start killed before its first checkpoint, which
     * nothing can resume ({@link #discardUncheckpointedStart}).
     */
    boolean holdsTraining() {
        for (String f : List.of(STATE, DECODER_LAST, DECODER_BEST)) {
            if (Files.exists(file(f), LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return false;
    }

    /** The step of the last checkpoint this process saved or loaded; -1 for none. */
    long savedStep() {
        return savedStep;
    }

    /** Calls {@code events} with a file's name before each write of it (for tests of kills mid-checkpoint). */
    void onFileEvent(Consumer<String> events) {
        this.fileEvents = events;
    }

    /** This process's hold on a run folder ({@link #lock}); closing it releases the folder. */
    public interface Lock extends AutoCloseable {
        /** The folder held. */
        RunDirectory run();

        /** Whether this hold still has the folder (it was not closed). */
        boolean isHeld();

        @Override
        void close() throws IOException;
    }

    /**
     * Takes the folder for this process: an OS lock on {@link #LOCK}, held until the returned lock
     * is closed. A folder is taken once: another hold, in this process or another, is refused (a
     * caller that holds it already passes its {@link Lock} on, as {@link FineTuning#run(Lock, boolean)}
     * takes it).
     *
     * @throws RunFolderInUseException naming the process that holds the folder
     * @throws IOException if the folder cannot be made or its lock file opened
     */
    public Lock lock() throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException(dir + " is a file, not a folder: choose another --out");
        }
        Files.createDirectories(dir);
        Path key = dir.toAbsolutePath().normalize();
        synchronized (LOCKS) {
            Held held = LOCKS.get(key);
            if (held != null) {
                throw new RunFolderInUseException(dir + " is in use by another run in this process (thread "
                        + held.owner.getName() + "); wait for it to end, or choose another folder");
            }
            Path f = key.resolve(LOCK);
            refuseLink(f);
            FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String owner = "another process";
                try {
                    String pid = Files.readString(f).strip();
                    owner = pid.isEmpty() ? owner : "process " + pid;
                } catch (IOException e) {
                    // the owner stays unnamed
                }
                ch.close();
                throw new RunFolderInUseException(dir + " is in use by " + owner + " (it holds " + f + "); wait for it to end,"
                        + " or choose another --out");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            Held mine = new Held(ch, lock);
            LOCKS.put(key, mine);
            return new Lock() {
                @Override
                public RunDirectory run() {
                    return RunDirectory.this;
                }

                @Override
                public boolean isHeld() {
                    return LOCKS.get(key) == mine;
                }

                @Override
                public void close() throws IOException {
                    if (release(key, mine) && !holdsRun()) {
                        // a start that failed before writing anything leaves no folder behind
                        Files.deleteIfExists(f);
                        try (DirectoryStream<Path> rest = Files.newDirectoryStream(key)) {
                            if (!rest.iterator().hasNext()) {
                                Files.delete(key);
                            }
                        }
                    }
                }
            };
        }
    }

    /** Releases a hold; true when it was still held. */
    private static boolean release(Path key, Held held) throws IOException {
        synchronized (LOCKS) {
            if (!LOCKS.remove(key, held)) {
                return false;
            }
            held.lock.release();
            held.channel.close();
            return true;
        }
    }

    private static final class Held {
        final FileChannel channel;
        final FileLock lock;
        final Thread owner = Thread.currentThread();

        Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }
    }

    /**
     * Deletes what a start killed before its first checkpoint logged ({@code metrics.jsonl}, its
     * TensorBoard event files {@code events.out.tfevents.*.samtune}; other tools' are left), so a fresh start in the folder logs only its own steps. Call only when the folder
     * holds no checkpoint ({@link #holdsTraining} false).
     *
     * @return the number of steps that start had logged
     */
    long discardUncheckpointedStart() throws IOException {
        if (holdsTraining() || !Files.isDirectory(dir)) {
            return 0;
        }
        long steps = 0;
        Path metrics = file(METRICS);
        if (Files.isSymbolicLink(metrics)) {
            throw new IOException(metrics + " is a symbolic link; a run folder's files are its own: remove it (nothing was"
                    + " changed)");
        }
        if (Files.isRegularFile(metrics, LinkOption.NOFOLLOW_LINKS)) {
            try (java.util.stream.Stream<String> lines = Files.lines(metrics)) {
                steps = lines.filter(l -> l.contains("\"loss\"")).count();
            } catch (java.io.UncheckedIOException e) {
                steps = -1; // unreadable: it goes all the same
            }
            Files.delete(metrics);
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "events.out.tfevents.*.samtune")) { // ours only
            for (Path p : s) {
                Files.deleteIfExists(p);
            }
        }
        return steps;
    }

    /**
     * Why a fresh start refuses this folder ({@link #holdsTraining} true): resume it, or, when it holds
     * decoders but no state, nothing can be resumed and the decoders are moved away by hand.
     */
    String refusal(String resumeHow) {
        if (hasState()) {
            return path() + " already holds a training run; " + resumeHow + ", or choose another folder (nothing was"
                    + " overwritten)";
        }
        return path() + " holds decoder files but no " + STATE + " (its first checkpoint was interrupted, or they"
                + " were copied in): nothing there can be resumed; move them away to start again in it, or choose another"
                + " folder (nothing was overwritten)";
    }

    /** Removes the temporary files a killed write left behind ({@code .NAME.*.tmp}). */
    void removeLeftovers() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path p : s) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * The counters saved with a training state.
     *
     * @param step optimizer steps done
     * @param epoch the epoch to continue in (0-based)
     * @param stepInEpoch steps done in that epoch
     * @param bestValDice best validation Dice so far (NaN for none)
     * @param bestEpoch its epoch (0-based, -1 for none)
     * @param optimizerSteps the optimizer's update count
     * @param lastLoss loss of the last applied step
     * @param epochLossSum sum of the losses of the epoch's steps done so far
     * @param epochLossCount number of those steps
     * @param metricsBytes length of {@code metrics.jsonl} at this checkpoint (-1: unknown, format 1)
     */
    public record State(long step, int epoch, long stepInEpoch, double bestValDice, int bestEpoch, long optimizerSteps,
                        double lastLoss, double epochLossSum, int epochLossCount, long metricsBytes) {

        /** A run that has not started. */
        public static State fresh() {
            return new State(0, 0, 0, Double.NaN, -1, 0, Double.NaN, 0, 0, 0);
        }

        /** The counters of a run as it stands: a finished epoch is saved as the start of the next. */
        public static State of(TrainingView run, long metricsBytes) {
            return run.epochComplete()
                    ? new State(run.step(), run.epoch() + 1, 0, run.bestValDice(), run.bestEpoch(),
                            run.optimizerUpdates(), run.lastLoss(), 0, 0, metricsBytes)
                    : new State(run.step(), run.epoch(), run.stepInEpoch(), run.bestValDice(), run.bestEpoch(),
                            run.optimizerUpdates(), run.lastLoss(), run.epochLossSum(), run.epochLossCount(),
                            metricsBytes);
        }
    }

    /**
     * A loaded training state: its counters, the best decoder's weights and file metadata (null
     * when it has none: format 1, or no epoch finished).
     */
    record Restored(State state, StateDict best, Map<String, String> bestMetadata) implements AutoCloseable {
        @Override
        public void close() {
            if (best != null) {
                best.close();
            }
        }
    }

    /** Writes {@code run.json}. */
    public void writeRunInfo(JsonObject info) throws IOException {
        write(RUN, out -> out.write((GSON.toJson(info) + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** Reads {@code run.json}. */
    public JsonObject readRunInfo() throws IOException {
        try {
            return io.samtune.data.StrictJson.read(file(RUN)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(file(RUN) + " is not a samtune run.json: " + e.getMessage(), e);
        }
    }

    /** The current length of {@code metrics.jsonl} (0 when absent). */
    long metricsBytes() throws IOException {
        Path m = file(METRICS);
        return Files.exists(m, LinkOption.NOFOLLOW_LINKS) ? Files.size(m) : 0;
    }

    /**
     * Saves one checkpoint: {@code decoder-best} (when {@code best} changed), {@code decoder-last},
     * then the training state, which holds everything the two decoder files hold.
     *
     * @param best the best decoder's weights, or null for none yet
     * @param bestChanged write {@code decoder-best} from {@code best} now
     * @param settings the run's {@link TrainingConfig#resumeSettings()} as JSON text
     */
    void saveCheckpoint(TrainableParameters parameters, Optimizer optimizer, SamConfig sizes, State s, String settings,
                        Map<String, NDArray> best, Map<String, String> bestMetadata, boolean bestChanged)
            throws IOException {
        if (best != null && bestChanged) {
            saveDecoder(DECODER_BEST, best, sizes, withGroup(parameters, bestMetadata));
        }
        saveDecoder(DECODER_LAST, parameters.arrays(), sizes, withGroup(parameters, lastMetadata(s)));
        Map<String, NDArray> tensors = new LinkedHashMap<>(parameters.arrays());
        optimizer.state().forEach((k, v) -> tensors.put(OPTIMIZER_PREFIX + k, v));
        if (best != null) {
            best.forEach((k, v) -> tensors.put(BEST_PREFIX + k, v));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(SamModel.FORMAT_KEY, STATE_FORMAT);
        meta.put(SamModel.FORMAT_VERSION_KEY, STATE_FORMAT_VERSION);
        meta.put("step", Long.toString(s.step()));
        meta.put("epoch", Integer.toString(s.epoch()));
        meta.put("stepInEpoch", Long.toString(s.stepInEpoch()));
        meta.put("bestValDice", Double.toString(s.bestValDice()));
        meta.put("bestEpoch", Integer.toString(s.bestEpoch()));
        meta.put("optimizerSteps", Long.toString(s.optimizerSteps()));
        meta.put("lastLoss", Double.toString(s.lastLoss()));
        meta.put("epochLossSum", Double.toString(s.epochLossSum()));
        meta.put("epochLossCount", Integer.toString(s.epochLossCount()));
        meta.put("metricsBytes", Long.toString(s.metricsBytes()));
        if (best != null) {
            meta.put("bestMetadata", GSON_COMPACT.toJson(bestMetadata));
        }
        meta.put("trainingConfig", settings);
        meta.put("tensorsSha256", checksum(tensors));
        fileEvents.accept(STATE);
        refuseLink(file(STATE));
        Safetensors.write(tensors, meta, file(STATE), false);
        savedStep = s.step();
    }

    /** A decoder file's metadata: the group's own (its adapters' settings) and {@code extra}. */
    private static Map<String, String> withGroup(TrainableParameters parameters, Map<String, String> extra) {
        Map<String, String> m = new LinkedHashMap<>(parameters.metadata());
        if (extra != null) {
            m.putAll(extra);
        }
        return m;
    }

    private static Map<String, String> lastMetadata(State s) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("step", Long.toString(s.step()));
        m.put("epoch", Integer.toString(s.epoch()));
        return m;
    }

    /** Writes weights as a decoder file of this run (e.g. {@link #DECODER_LAST}), atomically. */
    public void saveDecoder(String name, Map<String, NDArray> weights, SamConfig sizes, Map<String, String> extra)
            throws IOException {
        fileEvents.accept(name);
        refuseLink(file(name));
        Safetensors.write(weights, SamModel.decoderFileMetadata(sizes, extra), file(name), false);
    }

    /**
     * Loads the saved state into the group and the optimizer, checking its checksum and that it
     * belongs to this run.
     *
     * @param config the settings of the resuming run; those that change the numbers must equal the saved ones
     * @param totalSteps the resuming run's length; a state past it is refused
     * @throws CheckpointException if the state is unreadable, corrupt, incomplete, of another model, or
     *     was saved by a run with other settings (each differing setting is named, saved and given)
     */
    Restored loadState(TrainableParameters parameters, Optimizer optimizer, TrainingConfig config, long totalSteps,
                       NDManager manager) throws IOException {
        Path f = file(STATE);
        refuseLink(f);
        Map<String, String> meta = new HashMap<>();
        try (NDManager m = manager.newSubManager(); StateDict sd = SamCheckpoint.load(f, m, meta)) {
            if (!STATE_FORMAT.equals(meta.get(SamModel.FORMAT_KEY))) {
                throw new CheckpointException(f, "not a samtune training state");
            }
            String version = meta.get(SamModel.FORMAT_VERSION_KEY);
            if (!READABLE_STATE_VERSIONS.contains(version)) {
                throw new CheckpointException(f, "training state format " + version + " is not supported by this"
                        + " version (it reads " + READABLE_STATE_VERSIONS + ")");
            }
            if (meta.containsKey("tensorsSha256") && !meta.get("tensorsSha256").equals(checksum(sd.tensors()))) {
                throw new CheckpointException(f, "the training state is corrupt (its tensors do not match their"
                        + " checksum); resume from a copy, or start a new run in another --out folder");
            }
            List<String> differences;
            try {
                differences = config.resumeDifferences(JsonParser.parseString(meta.get("trainingConfig")).getAsJsonObject());
            } catch (RuntimeException e) {
                throw new CheckpointException(f, "the saved settings are unreadable: " + e.getMessage(), e);
            }
            if (!differences.isEmpty()) {
                throw new CheckpointException(f, "this run was started with other training settings:"
                        + System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", differences)
                        + System.lineSeparator() + "Resume with the same options, or start a new run in another --out folder.");
            }
            Map<String, NDArray> weights = new LinkedHashMap<>();
            Map<String, NDArray> opt = new LinkedHashMap<>();
            long optSteps = Long.parseLong(meta.get("optimizerSteps"));
            for (String k : parameters.names()) {
                if (!sd.contains(k) || !sd.shape(k).equals(parameters.arrays().get(k).getShape())) {
                    throw new CheckpointException(f, "tensor " + k + " of " + parameters.name()
                            + " is missing or of another shape; the state belongs to another model");
                }
                weights.put(k, sd.get(k));
                for (String moment : List.of("m.", "v.")) {
                    String name = OPTIMIZER_PREFIX + moment + k;
                    if (optSteps > 0 && !sd.contains(name)) {
                        throw new CheckpointException(f, "the optimizer state " + name + " is missing; the state is"
                                + " incomplete: start a new run in another --out folder");
                    }
                    if (sd.contains(name)) {
                        opt.put(moment + k, sd.get(name));
                    }
                }
            }
            long step = Long.parseLong(meta.get("step"));
            if (step > totalSteps || step < 0) {
                throw new CheckpointException(f, "the state is at step " + step + ", outside this run's " + totalSteps
                        + " steps; give --steps or --epochs of at least that many, or start a new run");
            }
            parameters.assign(weights);
            optimizer.restore(opt, optSteps);
            StateDict best = null;
            if (sd.keys().stream().anyMatch(k -> k.startsWith(BEST_PREFIX))) {
                best = new StateDict(manager);
                for (String k : parameters.names()) {
                    if (!sd.contains(BEST_PREFIX + k)) {
                        best.close();
                        throw new CheckpointException(f, "the best decoder's tensor " + k + " is missing");
                    }
                    best.put(k, sd.get(BEST_PREFIX + k).duplicate());
                }
            }
            State s = new State(step, Integer.parseInt(meta.get("epoch")), Long.parseLong(meta.get("stepInEpoch")),
                    Double.parseDouble(meta.get("bestValDice")), Integer.parseInt(meta.get("bestEpoch")), optSteps,
                    Double.parseDouble(meta.get("lastLoss")), Double.parseDouble(meta.getOrDefault("epochLossSum", "0")),
                    Integer.parseInt(meta.getOrDefault("epochLossCount", "0")),
                    Long.parseLong(meta.getOrDefault("metricsBytes", "-1")));
            Map<String, String> bestMeta = new LinkedHashMap<>();
            if (meta.containsKey("bestMetadata")) {
                JsonParser.parseString(meta.get("bestMetadata")).getAsJsonObject().entrySet()
                        .forEach(e -> bestMeta.put(e.getKey(), e.getValue().getAsString()));
            }
            savedStep = step;
            return new Restored(s, best, bestMeta);
        } catch (NumberFormatException | NullPointerException e) {
            throw new CheckpointException(f, "training state metadata is incomplete: " + e.getMessage(), e);
        }
    }

    /**
     * Rolls the folder back to a loaded state: {@code decoder-last} and (when the state holds it)
     * {@code decoder-best} rewritten from it, {@code metrics.jsonl} cut to the state's length,
     * temporary files of killed writes removed.
     */
    void rollBack(Restored r, TrainableParameters parameters, SamConfig sizes) throws IOException {
        removeLeftovers();
        saveDecoder(DECODER_LAST, parameters.arrays(), sizes, withGroup(parameters, lastMetadata(r.state())));
        if (r.best() != null) {
            saveDecoder(DECODER_BEST, r.best().tensors(), sizes, withGroup(parameters, r.bestMetadata()));
        }
        if (r.state().metricsBytes() >= 0) {
            truncateMetricsTo(r.state().metricsBytes());
        } else {
            truncateMetrics(r.state().step(), r.state().epoch());
        }
    }

    /** A SHA-256 over tensor names and float32 values, in order. */
    static String checksum(Map<String, NDArray> tensors) {
        MessageDigest d = Sha256.digest();
        tensors.forEach((k, v) -> {
            d.update(k.getBytes(StandardCharsets.UTF_8));
            float[] f = v.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(f);
            d.update(b.array());
        });
        return Sha256.hex(d.digest());
    }

    /** Appends one line to {@code metrics.jsonl} and flushes it. */
    void appendMetric(JsonObject line) throws IOException {
        Files.createDirectories(dir);
        fileEvents.accept(METRICS);
        try (OutputStream out = Files.newOutputStream(file(METRICS), StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (java.nio.file.FileSystemException e) {
            refuseLink(file(METRICS));
            throw e;
        }
    }

    /** The lines of {@code metrics.jsonl} (an unfinished last line is skipped). */
    public List<JsonObject> readMetrics() throws IOException {
        List<JsonObject> out = new ArrayList<>();
        if (!Files.exists(file(METRICS))) {
            return out;
        }
        for (String line : Files.readAllLines(file(METRICS))) {
            try {
                out.add(JsonParser.parseString(line).getAsJsonObject());
            } catch (RuntimeException e) {
                // a line cut by a crash; a resume cuts the log back to its checkpoint
            }
        }
        return out;
    }

    private void truncateMetricsTo(long bytes) throws IOException {
        Path m = file(METRICS);
        if (!Files.exists(m, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        refuseLink(m);
        try (FileChannel ch = FileChannel.open(m, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            if (ch.size() > bytes) {
                ch.truncate(bytes);
                ch.force(true);
            }
        }
    }

    /** Format 1 states know no metrics length: keep the step lines up to the step and the epochs finished. */
    private void truncateMetrics(long step, int epochsDone) throws IOException {
        List<JsonObject> keep = new ArrayList<>();
        for (JsonObject o : readMetrics()) {
            boolean stepLine = o.has("loss");
            if (stepLine ? o.get("step").getAsLong() <= step : o.get("epoch").getAsInt() <= epochsDone) {
                keep.add(o);
            }
        }
        StringBuilder sb = new StringBuilder();
        keep.forEach(o -> sb.append(o).append('\n'));
        write(METRICS, out -> out.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private void write(String name, AtomicFiles.Content content) throws IOException {
        fileEvents.accept(name);
        refuseLink(file(name));
        AtomicFiles.write(file(name), content);
    }

    private static void refuseLink(Path f) throws IOException {
        if (Files.isSymbolicLink(f)) {
            throw new IOException(f + " is a symbolic link; samtune never writes run files through links."
                    + " Remove it, or choose another --out");
        }
    }

    @Override
    public String toString() {
        return "RunDirectory[" + dir + (hasState() ? ", resumable" : "") + "]";
    }
}
