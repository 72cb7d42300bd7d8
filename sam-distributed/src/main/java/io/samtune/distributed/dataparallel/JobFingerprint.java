package io.samtune.distributed.dataparallel;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.train.TrainingStrategy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What must be equal on every data-parallel worker of one run: the settings (but paths, devices and
 * checkpoint cadence, which may differ per node), the base checkpoint's SHA-256, the model's sizes,
 * each data part's files with their SHA-256 (as a count and a digest), the world size, whether it
 * resumes, and the samtune version. Workers exchange theirs before the first step.
 *
 * @param entries setting name to its value, as text
 */
public record JobFingerprint(Map<String, String> entries) {

    /** Settings each worker may set for itself: where files are on its node, its devices, how often rank 0 saves. */
    private static final Set<String> PER_WORKER = Set.of("model.checkpoint", "model.device", "model.devices",
            "model.cacheFolder", "data.folder", "run.checkpointEvery", "run.checkpointSeconds");

    /** Copies. */
    public JobFingerprint {
        entries = Map.copyOf(new TreeMap<>(Objects.requireNonNull(entries, "entries")));
    }

    /** The fingerprint of this worker's run as {@code run.json} would record it, with {@code worldSize} workers. */
    public static JobFingerprint of(TrainingStrategy.Context run, int worldSize) {
        JsonObject p = run.provenance();
        Map<String, String> e = new TreeMap<>();
        e.put("samtune version", text(p.get("samtune")));
        e.put("world size", Integer.toString(worldSize));
        e.put("resume", Boolean.toString(run.resume()));
        e.put("base checkpoint (SHA-256)", text(p.get("checkpointSha256")));
        e.put("model sizes", text(p.get("model")));
        if (p.has("settings") && p.get("settings").isJsonObject()) {
            flatten("", p.getAsJsonObject("settings"), e);
        }
        for (String part : List.of("train", "validation", "test")) {
            JsonElement files = p.get(part);
            int n = files != null && files.isJsonArray() ? files.getAsJsonArray().size() : 0;
            e.put(part + " part", n + " files, SHA-256 of names and contents " + sha256(text(files)).substring(0, 16));
        }
        return new JobFingerprint(e);
    }

    private static void flatten(String prefix, JsonObject o, Map<String, String> out) {
        for (Map.Entry<String, JsonElement> m : o.entrySet()) {
            String key = prefix + m.getKey();
            if (PER_WORKER.contains(key)) {
                continue;
            }
            if (m.getValue().isJsonObject()) {
                flatten(key + ".", m.getValue().getAsJsonObject(), out);
            } else {
                out.put(key, text(m.getValue()));
            }
        }
    }

    /**
     * How {@code theirs} differs from this one, one entry per setting ({@code "KEY is A there, B here"}),
     * in setting order; empty when the two run the same job.
     */
    public List<String> differences(JobFingerprint theirs) {
        TreeMap<String, String> keys = new TreeMap<>(entries);
        keys.putAll(theirs.entries);
        List<String> out = new ArrayList<>();
        for (String k : keys.keySet()) {
            String mine = entries.getOrDefault(k, "(not set)");
            String other = theirs.entries.getOrDefault(k, "(not set)");
            if (!mine.equals(other)) {
                out.add(k + " is " + other + " there, " + mine + " here");
            }
        }
        return out;
    }

    /** As JSON text (the form sent to the other workers). */
    public String toJson() {
        JsonObject o = new JsonObject();
        entries.forEach(o::addProperty);
        return o.toString();
    }

    /**
     * Reads {@link #toJson()}'s form.
     *
     * @throws IllegalArgumentException if it is not a JSON object of texts
     */
    public static JobFingerprint fromJson(String json) {
        try {
            Map<String, String> e = new TreeMap<>();
            for (Map.Entry<String, JsonElement> m : JsonParser.parseString(json).getAsJsonObject().entrySet()) {
                e.put(m.getKey(), m.getValue().getAsString());
            }
            return new JobFingerprint(e);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("not a job fingerprint: " + ex.getMessage(), ex);
        }
    }

    private static String text(JsonElement e) {
        return e == null || e.isJsonNull() ? "(none)" : e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "JobFingerprint" + entries;
    }
}
