package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.io.AtomicFiles;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.Safetensors;
import io.samtune.core.checkpoint.StateDict;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The folder of one training run: {@code decoder-last.safetensors}, {@code decoder-best.safetensors}
 * (keys {@code mask_decoder.<param>}), {@code training-state.safetensors} (decoder, optimizer
 * moments and counters: everything a resume needs), {@code metrics.jsonl}, {@code run.json} and
 * {@code curves.png}. Every file but the append-only metrics is replaced atomically.
 */
public final class RunDirectory {

    /** The decoder after the latest checkpoint. */
    public static final String DECODER_LAST = "decoder-last.safetensors";
    /** The decoder with the best validation Dice. */
    public static final String DECODER_BEST = "decoder-best.safetensors";
    /** Decoder, optimizer state and counters for {@code --resume}. */
    public static final String STATE = "training-state.safetensors";
    /** One JSON object per logged step and per validation. */
    public static final String METRICS = "metrics.jsonl";
    /** Resolved configuration, data, checkpoint hashes and versions. */
    public static final String RUN = "run.json";
    /** Loss and validation-Dice plot. */
    public static final String CURVES = "curves.png";

    static final String STATE_FORMAT = "samtune-training-state";
    static final String STATE_FORMAT_VERSION = "1";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private final Path dir;

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
        return Files.isRegularFile(file(STATE));
    }

    /** The counters saved with a training state. */
    public record State(long step, int epoch, long stepInEpoch, double bestValDice, int bestEpoch, long optimizerSteps,
                        double lastLoss) {

        /** A run that has not started. */
        public static State fresh() {
            return new State(0, 0, 0, Double.NaN, -1, 0, Double.NaN);
        }

        /** The counters of a run as it stands: a finished epoch is saved as the start of the next. */
        public static State of(TrainingView run) {
            return run.epochComplete()
                    ? new State(run.step(), run.epoch() + 1, 0, run.bestValDice(), run.bestEpoch(),
                            run.optimizerUpdates(), run.lastLoss())
                    : new State(run.step(), run.epoch(), run.stepInEpoch(), run.bestValDice(), run.bestEpoch(),
                            run.optimizerUpdates(), run.lastLoss());
        }
    }

    /** Writes {@code run.json}. */
    public void writeRunInfo(JsonObject info) throws IOException {
        AtomicFiles.writeString(file(RUN), GSON.toJson(info) + "\n");
    }

    /** Reads {@code run.json}. */
    public JsonObject readRunInfo() throws IOException {
        return JsonParser.parseString(Files.readString(file(RUN))).getAsJsonObject();
    }

    /**
     * Saves the group's weights, the optimizer and the counters as the resumable state, and the
     * weights as {@code decoder-last}.
     *
     * @param settings the run's {@link TrainingConfig#resumeSettings()} as JSON text
     */
    void saveState(TrainableParameters parameters, Optimizer optimizer, SamConfig sizes, State s, String settings)
            throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>(parameters.arrays());
        optimizer.state().forEach((k, v) -> tensors.put("optimizer." + k, v));
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
        meta.put("trainingConfig", settings);
        Safetensors.write(tensors, meta, file(STATE), false);
        saveDecoder(DECODER_LAST, parameters, sizes, Map.of("step", Long.toString(s.step()), "epoch",
                Integer.toString(s.epoch())));
    }

    /** Writes the group's weights as a decoder file of this run ({@link #DECODER_LAST} or {@link #DECODER_BEST}). */
    void saveDecoder(String name, TrainableParameters parameters, SamConfig sizes, Map<String, String> extra)
            throws IOException {
        Safetensors.write(parameters.arrays(), SamModel.decoderFileMetadata(sizes, extra), file(name), false);
    }

    /**
     * Loads a saved state into the group and the optimizer.
     *
     * @param config the settings of the resuming run; those that change the numbers must equal the saved ones
     * @throws CheckpointException if the state is unreadable, of another model, or was saved by a run
     *     with other settings (each differing setting is named, saved and given)
     */
    State loadState(TrainableParameters parameters, Optimizer optimizer, TrainingConfig config, NDManager manager)
            throws IOException {
        Map<String, String> meta = new HashMap<>();
        try (NDManager m = manager.newSubManager(); StateDict sd = SamCheckpoint.load(file(STATE), m, meta)) {
            if (!STATE_FORMAT.equals(meta.get(SamModel.FORMAT_KEY))) {
                throw new CheckpointException(file(STATE), "not a samtune training state");
            }
            if (!STATE_FORMAT_VERSION.equals(meta.get(SamModel.FORMAT_VERSION_KEY))) {
                throw new CheckpointException(file(STATE), "training state format " + meta.get(SamModel.FORMAT_VERSION_KEY)
                        + " is not supported by this version (" + STATE_FORMAT_VERSION + ")");
            }
            List<String> differences;
            try {
                differences = config.resumeDifferences(JsonParser.parseString(meta.get("trainingConfig")).getAsJsonObject());
            } catch (RuntimeException e) {
                throw new CheckpointException(file(STATE), "the saved settings are unreadable: " + e.getMessage(), e);
            }
            if (!differences.isEmpty()) {
                throw new CheckpointException(file(STATE), "this run was started with other training settings:"
                        + System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", differences)
                        + System.lineSeparator() + "Resume with the same options, or start a new run in another --out folder.");
            }
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (String k : parameters.names()) {
                if (!sd.contains(k) || !sd.shape(k).equals(parameters.arrays().get(k).getShape())) {
                    throw new CheckpointException(file(STATE), "tensor " + k + " of " + parameters.name()
                            + " is missing or of another shape; the state belongs to another model");
                }
                weights.put(k, sd.get(k));
            }
            parameters.assign(weights);
            Map<String, NDArray> opt = new LinkedHashMap<>();
            sd.tensors().forEach((k, v) -> {
                if (k.startsWith("optimizer.")) {
                    opt.put(k.substring("optimizer.".length()), v);
                }
            });
            long optSteps = Long.parseLong(meta.get("optimizerSteps"));
            optimizer.restore(opt, optSteps);
            return new State(Long.parseLong(meta.get("step")), Integer.parseInt(meta.get("epoch")),
                    Long.parseLong(meta.get("stepInEpoch")), Double.parseDouble(meta.get("bestValDice")),
                    Integer.parseInt(meta.get("bestEpoch")), optSteps, Double.parseDouble(meta.get("lastLoss")));
        } catch (NumberFormatException | NullPointerException e) {
            throw new CheckpointException(file(STATE), "training state metadata is incomplete: " + e.getMessage(), e);
        }
    }

    /** Appends one line to {@code metrics.jsonl} and flushes it. */
    void appendMetric(JsonObject line) throws IOException {
        Files.createDirectories(dir);
        try (BufferedWriter w = Files.newBufferedWriter(file(METRICS), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            w.write(line.toString());
            w.newLine();
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
                // a line cut by a crash; the next checkpoint rewrites the log
            }
        }
        return out;
    }

    /** Keeps only the metrics of steps up to {@code step} (after a resume) and epochs before {@code epoch}. */
    void truncateMetrics(long step, int epoch) throws IOException {
        List<JsonObject> keep = new ArrayList<>();
        for (JsonObject o : readMetrics()) {
            boolean stepLine = o.has("loss");
            if (stepLine ? o.get("step").getAsLong() <= step : o.get("epoch").getAsInt() < epoch) {
                keep.add(o);
            }
        }
        StringBuilder sb = new StringBuilder();
        keep.forEach(o -> sb.append(o).append('\n'));
        AtomicFiles.writeString(file(METRICS), sb.toString());
    }

    @Override
    public String toString() {
        return "RunDirectory[" + dir + (hasState() ? ", resumable" : "") + "]";
    }
}
