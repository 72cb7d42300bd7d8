package io.samtune.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How a data folder is read: its layout (found by itself by default) and, for volumes and image
 * folders, which image, which labels and which slices become samples.
 *
 * @param format {@code auto} (default), {@code mat}, {@code brats}, {@code decathlon} or {@code png}
 * @param modality the image of a case: a BraTS suffix ({@code t1c}, {@code t1n}, {@code t2w},
 *     {@code t2f}) or a Decathlon modality name or channel number; null for the layout's default
 *     (BraTS {@code t1c}, Decathlon {@code t1gd})
 * @param labels the label values that make the binary target: {@code 1,2,3}, or a named set
 *     {@code wt} (whole tumour, every label above 0, the default), {@code tc} or {@code et}
 * @param slices {@code tumour} (default: slices holding target) or {@code all}
 * @param minArea the smallest target area, pixels, for a slice to become a sample (1)
 * @param patients a CSV of {@code file,patient} rows for an image folder, or null to use file names
 */
public record SourceOptions(String format, String modality, String labels, String slices, int minArea,
                            Path patients) {

    /** The layouts {@code format} can name. */
    public static final List<String> FORMATS = List.of("auto", "mat", "brats", "decathlon", "png");

    /** Validates. */
    public SourceOptions {
        format = Objects.requireNonNullElse(format, "auto").toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("--format must be one of " + String.join(", ", FORMATS) + ", got '"
                    + format + "'");
        }
        labels = Objects.requireNonNullElse(labels, "wt");
        LabelSet.parse(labels, "brats"); // checks the syntax
        slices = Objects.requireNonNullElse(slices, "tumour").toLowerCase(Locale.ROOT);
        if (slices.equals("tumor")) {
            slices = "tumour";
        }
        if (!slices.equals("tumour") && !slices.equals("all")) {
            throw new IllegalArgumentException("--slices must be 'tumour' or 'all', got '" + slices + "'");
        }
        if (minArea < 1) {
            throw new IllegalArgumentException("--min-area must be >= 1 pixel, got " + minArea);
        }
    }

    /** Every default: the layout found by itself, whole tumour, slices with tumour. */
    public static SourceOptions defaults() {
        return new SourceOptions("auto", null, "wt", "tumour", 1, null);
    }

    /** Whether slices without target are kept. */
    public boolean allSlices() {
        return slices.equals("all");
    }

    /** The same options reading another layout. */
    public SourceOptions withFormat(String newFormat) {
        return new SourceOptions(newFormat, modality, labels, slices, minArea, patients);
    }

    /** As JSON; {@link #fromJson} reads it back. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", format);
        if (modality != null) {
            o.addProperty("modality", modality);
        }
        o.addProperty("labels", labels);
        o.addProperty("slices", slices);
        o.addProperty("minArea", minArea);
        if (patients != null) {
            o.addProperty("patients", patients.toString());
        }
        return o;
    }

    /**
     * Options from JSON written by {@link #toJson}; absent keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown keys, wrong types or values out of range
     */
    public static SourceOptions fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("data.source", json);
        SourceOptions d = defaults();
        SourceOptions o = new SourceOptions(j.string("format", d.format()), j.string("modality", null),
                j.string("labels", d.labels()), j.string("slices", d.slices()), j.int32("minArea", d.minArea()),
                j.has("patients") ? j.path("patients", null) : null);
        j.finish();
        return o;
    }

    /** True when every option is the default. */
    public boolean isDefault() {
        return equals(defaults());
    }
}
