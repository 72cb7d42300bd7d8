package io.samtune.distributed.federated.aggregation;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.data.ConfigJson;
import io.samtune.distributed.federated.aggregation.ServerOptimiser.Kind;
import java.util.List;
import java.util.Locale;

/** Reads the {@code merge} setting of federation.json into an {@link Aggregation}. */
public final class Aggregations {

    private static final List<String> NAMES = List.of("mean", "coordmedian", "trimmedmean", "geomedian", "fedavgm",
            "fedadam", "fedyogi");
    /** The section in ConfigJson's messages: "setting federation.merge.serverLr must be a number". */
    private static final String SECTION = "federation.merge";

    private Aggregations() {
    }

    /**
     * "mean" and friends as a plain string (defaults), or an object {"strategy": "fedadam", "serverLr": 0.01, ...}.
     *
     * @param json a JSON string or object
     * @throws IllegalArgumentException naming "merge" or the key: an unknown strategy, a missing
     *     "strategy", an unknown key, a wrong type or a value out of range
     */
    public static Aggregation parse(JsonElement json) {
        if (json != null && json.isJsonPrimitive() && json.getAsJsonPrimitive().isString()) {
            return parse(json.getAsString());
        }
        if (json == null || !json.isJsonObject()) {
            String got = json == null ? "nothing" : json.toString();
            throw new IllegalArgumentException("federation setting 'merge' must be one of " + names()
                    + ", or an object such as {\"strategy\": \"fedadam\", \"serverLr\": 0.01}, got "
                    + (got.length() <= 80 ? got : got.substring(0, 77) + "..."));
        }
        ConfigJson j = new ConfigJson(SECTION, json);
        String name = j.string("strategy", null);
        if (name == null) {
            throw new IllegalArgumentException("federation setting 'merge.strategy' is missing: one of " + names());
        }
        Aggregation a = create(name, "merge.strategy", j);
        j.finish();
        return a;
    }

    /**
     * A plain name with defaults (case-insensitive).
     *
     * @throws IllegalArgumentException naming "merge" when the name is unknown
     */
    public static Aggregation parse(String name) {
        if (name == null) {
            throw new IllegalArgumentException("federation setting 'merge' is missing: one of " + names());
        }
        return create(name, "merge", new ConfigJson(SECTION, new JsonObject()));
    }

    /** The names, for messages: "mean, coordmedian, trimmedmean, geomedian, fedavgm, fedadam or fedyogi". */
    public static String names() {
        return String.join(", ", NAMES.subList(0, NAMES.size() - 1)) + " or " + NAMES.get(NAMES.size() - 1);
    }

    private static Aggregation create(String name, String key, ConfigJson settings) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "mean" -> new WeightedMean();
            case "coordmedian" -> new CoordinateMedian();
            case "trimmedmean" -> TrimmedMean.fromJson(settings);
            case "geomedian" -> new GeometricMedian();
            case "fedavgm" -> ServerOptimiser.fromJson(Kind.FEDAVGM, settings);
            case "fedadam" -> ServerOptimiser.fromJson(Kind.FEDADAM, settings);
            case "fedyogi" -> ServerOptimiser.fromJson(Kind.FEDYOGI, settings);
            default -> throw new IllegalArgumentException("federation setting '" + key + "' must be one of " + names()
                    + ", got '" + name + "'");
        };
    }
}
