package io.samtune.sweep;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.core.PromptMode;
import io.samtune.core.config.DataConfig;
import io.samtune.data.ConfigJson;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A sweep's {@code sweep.json}: base settings (inline, or a run's {@code run.json}), a search space
 * keyed by {@code train} option names ({@code lr}, {@code loss}, {@code box-jitter} or
 * {@code boxJitter}, {@code batch-size}, {@code weight-decay}, {@code optimizer}, {@code prompt},
 * {@code seed}, {@code warmup}), {@code samples}, {@code seed}, {@code metric}, {@code mode} and a
 * scheduler whose {@code maxEpochs} sets each trial's length. Grid values are crossed; other kinds
 * ({@code loguniform}, {@code uniform}, {@code int}, {@code choice}) are drawn {@code samples} times
 * from {@code seed}, so the same spec always gives the same trials.
 *
 * @param base the settings every trial starts from
 * @param space the search space, by key
 * @param samples draws of the sampled keys per grid point
 * @param seed seed of the draws
 * @param metric the metric trials are compared by ({@code valDice})
 * @param maximize true when larger is better
 * @param scheduler {@code none}, {@code asha} or {@code median}
 * @param maxEpochs each trial's length in epochs
 * @param gracePeriod epochs before a trial may be stopped
 * @param reductionFactor ASHA's reduction factor
 */
public record SweepSpec(TrainingConfig base, JsonObject space, int samples, long seed, String metric, boolean maximize,
                        String scheduler, int maxEpochs, int gracePeriod, int reductionFactor) {

    /** Reads a spec file; {@code base} may be a path (to a run's run.json) relative to the spec. */
    public static SweepSpec read(Path file) throws IOException {
        JsonElement json = io.samtune.data.StrictJson.read(file);
        try {
            return fromJson(json, file.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The most trials one sweep makes. */
    public static final int MAX_TRIALS = 10_000;

    /** The largest {@code base} settings file read, bytes. */
    static final long MAX_BASE_BYTES = 16L << 20;

    /**
     * A spec from JSON.
     *
     * @param dir where a {@code base} path is resolved
     * @throws IllegalArgumentException naming the key that is unknown, missing or malformed
     */
    public static SweepSpec fromJson(JsonElement json, Path dir) {
        ConfigJson j = new ConfigJson("sweep", json);
        JsonElement baseJson = j.element("base");
        if (baseJson == null) {
            throw new IllegalArgumentException("setting sweep.base is missing: the settings every trial starts from");
        }
        TrainingConfig base;
        if (baseJson.isJsonPrimitive()) {
            Path runJson = dir.resolve(baseJson.getAsString());
            try {
                if (!Files.isRegularFile(runJson)) {
                    throw new IOException(Files.exists(runJson) ? "it is not a regular file (a folder, pipe or device?)"
                            : "file not found");
                }
                if (Files.size(runJson) > MAX_BASE_BYTES) {
                    throw new IOException("it is " + Files.size(runJson) + " bytes, more than a run's settings ("
                            + MAX_BASE_BYTES + ")");
                }
                JsonElement parsed = io.samtune.data.StrictJson.read(runJson);
                if (!parsed.isJsonObject()) {
                    throw new IOException("it is not a JSON object");
                }
                JsonObject run = parsed.getAsJsonObject();
                base = TrainingConfig.fromJson(run.has("settings") ? run.get("settings") : run);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("sweep.base " + runJson + " cannot be read: " + e.getMessage());
            }
        } else {
            base = TrainingConfig.fromJson(baseJson);
        }
        JsonElement space = j.element("space");
        if (space == null || !space.isJsonObject()) {
            throw new IllegalArgumentException("setting sweep.space must be an object of option names");
        }
        int samples = j.int32("samples", 1);
        long seed = j.integer("seed", 1);
        String metric = j.string("metric", "valDice");
        if (!metric.equals("valDice") && !metric.equals("loss")) {
            throw new IllegalArgumentException("setting sweep.metric must be valDice (validation Dice) or loss (an"
                    + " epoch's mean training loss), got " + metric);
        }
        String mode = j.string("mode", metric.equals("loss") ? "min" : "max");
        if (!mode.equals("max") && !mode.equals("min")) {
            throw new IllegalArgumentException("setting sweep.mode must be max or min, got " + mode);
        }
        String type = "none";
        int maxEpochs = base.schedule().epochs();
        int grace = 1;
        int factor = 3;
        if (j.has("scheduler")) {
            ConfigJson s = new ConfigJson("sweep.scheduler", j.element("scheduler"));
            type = s.string("type", "none");
            maxEpochs = s.int32("maxEpochs", maxEpochs);
            grace = s.int32("gracePeriod", grace);
            factor = s.int32("reductionFactor", factor);
            s.finish();
        }
        j.finish();
        if (!List.of("none", "asha", "median").contains(type)) {
            throw new IllegalArgumentException("setting sweep.scheduler.type must be none, asha or median, got " + type);
        }
        if (samples < 1 || maxEpochs < 1 || grace < 1 || factor < 2) {
            throw new IllegalArgumentException("samples, maxEpochs and gracePeriod must be >= 1 and reductionFactor >= 2");
        }
        long trials = samples;
        long gridPoints = 1;
        for (Map.Entry<String, JsonElement> e : space.getAsJsonObject().entrySet()) {
            JsonObject d = domain(e.getKey(), e.getValue()); // refuses a malformed key before any trial is made
            apply(base, e.getKey(), sampleOne(e.getKey(), e.getValue()));
            if (d.has("grid")) { // counted, never multiplied past the bound: no list of them is made to count
                gridPoints = Math.min(Long.MAX_VALUE / 2, gridPoints * d.getAsJsonArray("grid").size());
                trials = Math.min(Long.MAX_VALUE / 2, trials * d.getAsJsonArray("grid").size());
                gridPoints = Math.min(gridPoints, MAX_TRIALS + 1L);
                trials = Math.min(trials, MAX_TRIALS + 1L);
            }
        }
        if (trials > MAX_TRIALS) {
            throw new IllegalArgumentException("the spec makes more than " + MAX_TRIALS + " trials (" + (gridPoints > MAX_TRIALS
                    ? "over " + MAX_TRIALS : String.valueOf(gridPoints)) + " grid points x " + samples + " samples), more"
                    + " than a sweep runs; shrink the grid or \"samples\", or split the search into several sweeps");
        }
        return new SweepSpec(base, space.getAsJsonObject(), samples, seed, metric, mode.equals("max"), type, maxEpochs,
                grace, factor);
    }

    /** Every trial, in a fixed order: grid points crossed (in key order), each with {@code samples} draws. */
    public List<Trial> trials() {
        List<Map<String, JsonElement>> grid = new ArrayList<>();
        grid.add(new LinkedHashMap<>());
        for (Map.Entry<String, JsonElement> e : space.entrySet()) {
            JsonObject d = domain(e.getKey(), e.getValue());
            if (d.has("grid")) {
                List<Map<String, JsonElement>> next = new ArrayList<>();
                for (Map<String, JsonElement> point : grid) {
                    for (JsonElement v : d.getAsJsonArray("grid")) {
                        Map<String, JsonElement> p = new LinkedHashMap<>(point);
                        p.put(e.getKey(), v);
                        next.add(p);
                    }
                }
                grid = next;
            }
        }
        Random rng = new Random(seed);
        List<Trial> out = new ArrayList<>();
        for (Map<String, JsonElement> point : grid) {
            for (int s = 0; s < samples; s++) {
                JsonObject params = new JsonObject();
                TrainingConfig c = base.toBuilder().optSchedule(base.schedule().toBuilder().optEpochs(maxEpochs).build())
                        .build();
                for (Map.Entry<String, JsonElement> e : space.entrySet()) {
                    JsonElement v = point.containsKey(e.getKey()) ? point.get(e.getKey())
                            : draw(domain(e.getKey(), e.getValue()), rng);
                    params.add(e.getKey(), v);
                    c = apply(c, e.getKey(), v);
                }
                out.add(new Trial(out.size(), params, c));
            }
        }
        return out;
    }

    private static JsonObject domain(String key, JsonElement e) {
        if (!e.isJsonObject() || e.getAsJsonObject().size() != 1) {
            throw new IllegalArgumentException("space." + key + " must be one of {\"loguniform\": [a, b]}, {\"uniform\":"
                    + " [a, b]}, {\"int\": [a, b]}, {\"choice\": [...]}, {\"grid\": [...]}");
        }
        JsonObject d = e.getAsJsonObject();
        String kind = d.keySet().iterator().next();
        JsonElement v = d.get(kind);
        if (!List.of("loguniform", "uniform", "int", "choice", "grid").contains(kind) || !v.isJsonArray()
                || v.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException("space." + key + ": unknown or empty kind '" + kind + "'");
        }
        if (List.of("loguniform", "uniform", "int").contains(kind)) {
            JsonArray r = v.getAsJsonArray();
            if (r.size() != 2 || r.get(0).getAsDouble() > r.get(1).getAsDouble()
                    || (kind.equals("loguniform") && r.get(0).getAsDouble() <= 0)) {
                throw new IllegalArgumentException("space." + key + ": " + kind + " takes [low, high] with low <= high"
                        + (kind.equals("loguniform") ? " and low > 0" : ""));
            }
        }
        return d;
    }

    /** A value of the key's domain (its first), to check that the option takes it. */
    private static JsonElement sampleOne(String key, JsonElement e) {
        JsonObject d = domain(key, e);
        return d.getAsJsonArray(d.keySet().iterator().next()).get(0);
    }

    private static JsonElement draw(JsonObject d, Random rng) {
        String kind = d.keySet().iterator().next();
        JsonArray v = d.getAsJsonArray(kind);
        double lo = v.get(0).isJsonPrimitive() && v.get(0).getAsJsonPrimitive().isNumber() ? v.get(0).getAsDouble() : 0;
        double hi = v.size() > 1 && v.get(1).isJsonPrimitive() && v.get(1).getAsJsonPrimitive().isNumber()
                ? v.get(1).getAsDouble() : 0;
        return switch (kind) {
            case "loguniform" -> new com.google.gson.JsonPrimitive(Math.exp(Math.log(lo) + rng.nextDouble()
                    * (Math.log(hi) - Math.log(lo))));
            case "uniform" -> new com.google.gson.JsonPrimitive(lo + rng.nextDouble() * (hi - lo));
            case "int" -> new com.google.gson.JsonPrimitive((long) lo + rng.nextInt((int) (hi - lo) + 1));
            case "choice" -> v.get(rng.nextInt(v.size()));
            default -> throw new IllegalStateException(kind);
        };
    }

    /** The base settings with one adapter setting changed; the base must train adapters. */
    private static TrainingConfig withAdapter(TrainingConfig c, String k, String key, JsonElement v) {
        io.samtune.core.model.LoraConfig a = c.model() == null ? null : c.model().adapter();
        if (a == null) {
            throw new IllegalArgumentException("space." + key + " needs adapters in sweep.base (\"model\": {\"adapter\":"
                    + " {\"kind\": \"lora\"}}, as train --adapter lora records it)");
        }
        io.samtune.core.model.LoraConfig changed = switch (k) {
            case "lorarank" -> new io.samtune.core.model.LoraConfig(v.getAsInt(), a.alpha(), a.blocks(), a.targets());
            case "loraalpha" -> new io.samtune.core.model.LoraConfig(a.rank(), v.getAsDouble(), a.blocks(), a.targets());
            default -> new io.samtune.core.model.LoraConfig(a.rank(), a.alpha(), v.getAsString(), a.targets());
        };
        return c.toBuilder().optModel(c.model().toBuilder().optAdapter(changed).build()).build();
    }

    /** The base settings with one option set, by its {@code train} option name. */
    static TrainingConfig apply(TrainingConfig c, String key, JsonElement v) {
        String k = key.toLowerCase(Locale.ROOT).replace("-", "");
        OptimizationConfig.Builder o = c.optimization().toBuilder();
        DataConfig data = c.data();
        try {
            switch (k) {
                case "lr", "learningrate" -> o.optLearningRate(v.getAsDouble());
                case "loss" -> o.optLoss(OptimizationConfig.Loss.parse(v.getAsString()));
                case "optimizer" -> o.optAlgorithm(OptimizationConfig.Algorithm.parse(v.getAsString()));
                case "weightdecay" -> o.optWeightDecay(v.getAsDouble());
                case "batchsize" -> o.optBatchSize(v.getAsInt());
                case "gradaccumulation" -> o.optGradAccumulation(v.getAsInt());
                case "boxjitter", "prompt" -> {
                    if (data == null) {
                        throw new IllegalArgumentException("space." + key + " needs data settings in sweep.base");
                    }
                    data = k.equals("prompt") ? data.toBuilder().optPrompt(PromptMode.parse(v.getAsString())).build()
                            : data.toBuilder().optBoxJitter(v.getAsInt()).build();
                }
                case "seed" -> {
                    return c.toBuilder().optRun(c.run().toBuilder().optSeed(v.getAsLong()).build()).build();
                }
                case "warmup" -> {
                    return c.toBuilder().optSchedule(c.schedule().toBuilder().optWarmupSteps(v.getAsInt()).build())
                            .build();
                }
                case "lorarank", "loraalpha", "lorablocks" -> {
                    return withAdapter(c, k, key, v);
                }
                default -> throw new IllegalArgumentException("space." + key + " is not a train option samtune can sweep"
                        + " (lr, loss, optimizer, weight-decay, batch-size, grad-accumulation, box-jitter, prompt,"
                        + " seed, warmup, lora-rank, lora-alpha, lora-blocks)");
            }
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException e) {
            throw new IllegalArgumentException("space." + key + ": value " + v + " does not fit the option");
        }
        return c.toBuilder().optOptimization(o.build()).optData(data).build();
    }
}
