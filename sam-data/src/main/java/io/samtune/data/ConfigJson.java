package io.samtune.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads one config record from a JSON object, key by key: absent keys take the builder's default,
 * a key of the wrong type or an unknown key is an {@link IllegalArgumentException} naming the
 * section and the key (a typo in a settings file never passes silently). Every config's
 * {@code fromJson} uses it; {@link #finish()} rejects what was not read.
 */
public final class ConfigJson {

    private final String section;
    private final JsonObject object;
    private final Set<String> read = new LinkedHashSet<>();

    /**
     * @param section the section's name in messages ({@code "data"}, {@code "optimization"}, ...)
     * @param json the section; must be a JSON object
     */
    public ConfigJson(String section, JsonElement json) {
        if (json == null || !json.isJsonObject()) {
            throw new IllegalArgumentException("settings '" + section + "' must be a JSON object, got "
                    + (json == null ? "nothing" : abbreviate(json.toString())));
        }
        this.section = section;
        this.object = json.getAsJsonObject();
    }

    /** True when the key is present and not null. */
    public boolean has(String key) {
        read.add(key);
        return object.has(key) && !object.get(key).isJsonNull();
    }

    /** A nested object, or null when absent. */
    public JsonElement element(String key) {
        return has(key) ? object.get(key) : null;
    }

    /** A string, or {@code fallback} when absent. */
    public String string(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonPrimitive p = primitive(key, "a string");
        if (!p.isString()) {
            throw wrong(key, "a string (in quotes)");
        }
        return p.getAsString();
    }

    /** A path, or {@code fallback} when absent. */
    public Path path(String key, Path fallback) {
        return has(key) ? Path.of(string(key, null)) : fallback;
    }

    /** A number, or {@code fallback} when absent. */
    public double number(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonPrimitive p = primitive(key, "a number");
        if (p.isNumber()) {
            return p.getAsDouble();
        }
        // gson writes NaN and infinities as strings when allowed; accept them back, and no other string
        return switch (p.getAsString()) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw wrong(key, "a number (without quotes)");
        };
    }

    /** A whole number, or {@code fallback} when absent. */
    public long integer(String key, long fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonPrimitive p = primitive(key, "a whole number");
        if (!p.isNumber()) {
            throw wrong(key, "a whole number (without quotes)");
        }
        try {
            return p.getAsBigDecimal().longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw wrong(key, "a whole number");
        }
    }

    /** A whole number that fits an int, or {@code fallback} when absent. */
    public int int32(String key, int fallback) {
        long v = integer(key, fallback);
        if (v != (int) v) {
            throw wrong(key, "a whole number below 2^31");
        }
        return (int) v;
    }

    /** A boolean, or {@code fallback} when absent. */
    public boolean bool(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonPrimitive p = primitive(key, "true or false");
        if (!p.isBoolean()) {
            throw wrong(key, "true or false");
        }
        return p.getAsBoolean();
    }

    /**
     * Refuses keys that were never read.
     *
     * @throws IllegalArgumentException naming the unknown keys and the known ones
     */
    public void finish() {
        Set<String> unknown = new TreeSet<>(object.keySet());
        unknown.removeAll(read);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown setting" + (unknown.size() > 1 ? "s " : " ") + unknown + " in '"
                    + section + "'; known: " + read);
        }
    }

    private JsonPrimitive primitive(String key, String expected) {
        JsonElement e = object.get(key);
        if (!e.isJsonPrimitive()) {
            throw wrong(key, expected);
        }
        return e.getAsJsonPrimitive();
    }

    private IllegalArgumentException wrong(String key, String expected) {
        return new IllegalArgumentException("setting " + section + "." + key + " must be " + expected + ", got "
                + abbreviate(object.get(key).toString()));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
