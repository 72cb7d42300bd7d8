package io.samtune.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.internal.LazilyParsedNumber;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the JSON that users write (settings, federation and sweep files, run records) strictly:
 * standard JSON only (no comments, single quotes or trailing text), a key given twice in one object
 * refused by name (a silent "last one wins" would run other settings than the file seems to say),
 * nesting at most {@value #MAX_DEPTH} deep, and every error as one line in plain words with where
 * it is.
 */
public final class StrictJson {

    /** The deepest nesting accepted. */
    public static final int MAX_DEPTH = 64;
    /** The largest file read, bytes. */
    public static final long MAX_FILE_BYTES = 64L << 20;

    private StrictJson() {
    }

    /**
     * Parses a file.
     *
     * @throws IOException naming the file: not a regular file, larger than {@link #MAX_FILE_BYTES}, or not such JSON
     */
    public static JsonElement read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": " + (Files.exists(file) ? "is not a regular file (a folder, pipe or device?)"
                    : "file not found"));
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + ": is " + Files.size(file) + " bytes, larger than a settings file can be ("
                    + MAX_FILE_BYTES + ")");
        }
        try {
            return parse(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses text.
     *
     * @throws IllegalArgumentException saying what is wrong and where ({@code line L column C, at $.a.b})
     */
    public static JsonElement parse(String text) {
        JsonReader r = new JsonReader(new StringReader(text));
        r.setStrictness(Strictness.STRICT);
        try {
            JsonElement e = value(r, 0);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("text follows the JSON value (" + where(r) + ")");
            }
            return e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new IllegalArgumentException("not valid JSON: " + plain(e.getMessage()), e);
        }
    }

    private static JsonElement value(JsonReader r, int depth) throws IOException {
        JsonToken t = r.peek();
        switch (t) {
            case BEGIN_OBJECT -> {
                nest(r, depth);
                JsonObject o = new JsonObject();
                r.beginObject();
                while (r.hasNext()) {
                    String key = r.nextName();
                    if (o.has(key)) {
                        throw new IllegalArgumentException("the key \"" + key + "\" is given twice in one object ("
                                + where(r) + "); keep one");
                    }
                    o.add(key, value(r, depth + 1));
                }
                r.endObject();
                return o;
            }
            case BEGIN_ARRAY -> {
                nest(r, depth);
                JsonArray a = new JsonArray();
                r.beginArray();
                while (r.hasNext()) {
                    a.add(value(r, depth + 1));
                }
                r.endArray();
                return a;
            }
            case STRING -> {
                return new JsonPrimitive(r.nextString());
            }
            case NUMBER -> {
                return new JsonPrimitive(new LazilyParsedNumber(r.nextString()));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(r.nextBoolean());
            }
            case NULL -> {
                r.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw new IllegalArgumentException("not valid JSON: a value is missing (" + where(r) + ")");
        }
    }

    private static void nest(JsonReader r, int depth) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("nested more than " + MAX_DEPTH + " levels deep (" + where(r)
                    + "); settings are never so deep");
        }
    }

    private static String where(JsonReader r) {
        String s = r.toString(); // "JsonReader at line L column C path $.a"
        int at = s.indexOf(" at line ");
        return at < 0 ? s : s.substring(at + 1);
    }

    /** A Gson message without its class names and troubleshooting links. */
    private static String plain(String message) {
        if (message == null) {
            return "unreadable";
        }
        String m = message.replaceAll("\\s*See https?://\\S+", "").replaceAll("com\\.google\\.gson\\.[\\w.]+:\\s*", "")
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "")
                .replace("JsonReader.setStrictness(Strictness.LENIENT)", "").trim();
        return m.replaceAll("[\\s.;,]+$", "");
    }
}
