package io.samtune.train;

import ai.djl.engine.Engine;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.core.Engines;
import io.samtune.core.SamModel;
import io.samtune.core.io.Sha256;
import io.samtune.data.DataSplit;
import io.samtune.data.SliceIndex;
import io.samtune.data.SliceInfo;
import java.io.IOException;
import java.time.LocalDateTime;
import java.util.List;

/**
 * What {@code run.json} records of a run, whoever started it (the command line, Java, JShell): the
 * versions, the resolved settings (under {@code "settings"}, enough to start the run again), both
 * seeds, the model's sizes, the base checkpoint and every data file with their SHA-256.
 */
public final class Provenance {

    /** The version of samtune written into run folders. */
    public static final String VERSION = "0.1.0";

    private Provenance() {
    }

    /** The {@code run.json} of a run of {@code config} on {@code model} over {@code parts} of {@code index}. */
    public static JsonObject of(TrainingConfig config, SamModel model, SliceIndex index, DataSplit parts)
            throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("samtune", VERSION);
        o.addProperty("djl", Engine.getDjlVersion());
        o.addProperty("libtorch", Engine.getEngine(Engines.PYTORCH).getVersion());
        o.addProperty("java", System.getProperty("java.version"));
        o.addProperty("started", LocalDateTime.now().toString());
        o.addProperty("device", model.device().toString());
        o.addProperty("seed", config.run().seed());
        o.addProperty("splitSeed", config.data().split().seed());
        o.add("settings", config.toJson());
        o.add("model", model.config().toJson());
        o.addProperty("checkpoint", config.model().checkpoint().toAbsolutePath().toString());
        o.addProperty("checkpointSha256", Sha256.of(config.model().checkpoint()));
        o.addProperty("split", config.data().split().toString());
        o.addProperty("dataFolder", index.root().toAbsolutePath().toString());
        o.add("train", files(parts.train()));
        o.add("validation", files(parts.validation()));
        o.add("test", files(parts.test()));
        return o;
    }

    private static JsonArray files(List<SliceInfo> slices) throws IOException {
        JsonArray a = new JsonArray();
        for (SliceInfo s : slices) {
            JsonObject f = new JsonObject();
            f.addProperty("file", s.name());
            f.addProperty("label", s.label().code());
            f.addProperty("pid", s.patientId());
            f.addProperty("sha256", Sha256.of(s.file()));
            a.add(f);
        }
        return a;
    }
}
