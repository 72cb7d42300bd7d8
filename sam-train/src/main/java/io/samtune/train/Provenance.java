package io.samtune.train;

import ai.djl.engine.Engine;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.core.Engines;
import io.samtune.core.SamModel;
import io.samtune.core.io.Sha256;
import io.samtune.data.DataSplit;
import io.samtune.data.SliceIndex;
import io.samtune.data.SampleRef;
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

    /**
     * The number of workers that shared each step of the run that wrote {@code saved}: its
     * {@code worldSize}, else (older runs) its {@code dataParallel.worldSize}, else 1.
     */
    public static int worldSize(JsonObject saved) {
        if (saved.has("worldSize") && saved.get("worldSize").isJsonPrimitive()) {
            return saved.get("worldSize").getAsInt();
        }
        if (saved.has("dataParallel") && saved.get("dataParallel").isJsonObject()
                && saved.getAsJsonObject("dataParallel").has("worldSize")) {
            return saved.getAsJsonObject("dataParallel").get("worldSize").getAsInt();
        }
        return 1;
    }

    /**
     * What makes a resumed run differ from the run that wrote {@code saved}: the base checkpoint's
     * hash, the sizes, the split, and the files of each part with their hashes. Each entry names
     * the setting or part, saved vs now; empty when the run may continue.
     */
    public static List<String> differences(JsonObject saved, JsonObject now) {
        List<String> out = new java.util.ArrayList<>();
        compare(out, "base checkpoint (SHA-256)", saved.get("checkpointSha256"), now.get("checkpointSha256"),
                " (" + text(saved.get("checkpoint")) + " then, " + text(now.get("checkpoint")) + " now)");
        compare(out, "model sizes", saved.get("model"), now.get("model"), "");
        JsonObject savedSettings = saved.has("settings") ? saved.getAsJsonObject("settings") : null;
        if (savedSettings != null && savedSettings.has("data")) {
            compare(out, "split", savedSettings.getAsJsonObject("data").get("split"),
                    now.getAsJsonObject("settings").getAsJsonObject("data").get("split"), "");
        } else {
            compare(out, "split", saved.get("split"), now.get("split"), "");
        }
        String folders = "";
        com.google.gson.JsonElement savedFolder = folder(saved);
        com.google.gson.JsonElement nowFolder = folder(now);
        if (savedFolder != null && !savedFolder.equals(nowFolder)) {
            folders = "; trained on " + text(savedFolder) + ", given " + text(nowFolder)
                    + " (resume with the data it was trained on)";
        }
        for (String part : List.of("train", "validation", "test")) {
            java.util.Map<String, String> a = hashes(saved.getAsJsonArray(part));
            java.util.Map<String, String> b = hashes(now.getAsJsonArray(part));
            if (!a.equals(b)) {
                List<String> which = new java.util.ArrayList<>();
                java.util.Set<String> names = new java.util.TreeSet<>(a.keySet());
                names.addAll(b.keySet());
                for (String n : names) {
                    if (!b.containsKey(n)) {
                        which.add(n + " (not in it now)");
                    } else if (!a.containsKey(n)) {
                        which.add(n + " (new)");
                    } else if (!a.get(n).equals(b.get(n))) {
                        which.add(n + " (content changed)");
                    }
                }
                out.add(part + " part: " + which.size() + " file(s) differ: "
                        + String.join(", ", which.subList(0, Math.min(5, which.size())))
                        + (which.size() > 5 ? ", ..." : "") + folders);
            }
        }
        return out;
    }

    private static com.google.gson.JsonElement folder(JsonObject run) {
        if (run.has("settings") && run.get("settings").isJsonObject()) {
            JsonObject settings = run.getAsJsonObject("settings");
            if (settings.has("data") && settings.get("data").isJsonObject()) {
                return settings.getAsJsonObject("data").get("folder");
            }
        }
        return null;
    }

    private static void compare(List<String> out, String what, com.google.gson.JsonElement saved,
                                com.google.gson.JsonElement now, String detail) {
        if (saved == null || !saved.equals(now)) {
            out.add(what + ": saved " + abbreviate(text(saved)) + ", now " + abbreviate(text(now)) + detail);
        }
    }

    private static String text(com.google.gson.JsonElement e) {
        return e == null ? "none" : e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 97) + "...";
    }

    private static java.util.Map<String, String> hashes(JsonArray files) {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        if (files != null) {
            files.forEach(f -> m.put(f.getAsJsonObject().get("file").getAsString(),
                    f.getAsJsonObject().get("sha256").getAsString()));
        }
        return m;
    }

    private static JsonArray files(List<SampleRef> slices) throws IOException {
        JsonArray a = new JsonArray();
        for (SampleRef s : slices) {
            JsonObject f = new JsonObject();
            f.addProperty("file", s.name());
            if (s.tumorType() != null) {
                f.addProperty("label", s.tumorType().code());
            }
            f.addProperty("pid", s.patientId());
            // a slice file's SHA-256; for a slice of a volume, over the volume's, its channel and index
            f.addProperty("sha256", Sha256.hex(s.source().imageDigest(s)));
            a.add(f);
        }
        return a;
    }
}
