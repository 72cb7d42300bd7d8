package io.samtune.data.nifti;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.data.DatasetException;
import io.samtune.data.ErrorText;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** Finds the cases of the NIfTI layouts: BraTS case folders and the Decathlon's Task01. */
public final class VolumeLayouts {

    /** BraTS 2023 file suffixes, with the names earlier BraTS releases gave the same images. */
    private static final Map<String, List<String>> BRATS_MODALITIES = Map.of(
            "t1c", List.of("t1c", "t1ce"), "t1n", List.of("t1n", "t1"), "t2w", List.of("t2w", "t2"),
            "t2f", List.of("t2f", "flair"));
    private static final long MAX_DATASET_JSON = 16L << 20;

    private VolumeLayouts() {
    }

    /** Whether a folder looks like BraTS case folders: a sub-folder holding {@code *-seg.nii[.gz]} or {@code *_seg.nii[.gz]}. */
    public static boolean isBrats(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).anyMatch(c -> segOf(c) != null);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether a folder is a Decathlon task: {@code dataset.json} with {@code imagesTr/}. */
    public static boolean isDecathlon(Path dir) {
        return Files.isRegularFile(dir.resolve("dataset.json")) && Files.isDirectory(dir.resolve("imagesTr"));
    }

    private static Path segOf(Path caseDir) {
        String name = caseDir.getFileName().toString();
        for (String sep : List.of("-", "_")) {
            for (String ext : List.of(".nii.gz", ".nii")) {
                Path p = caseDir.resolve(name + sep + "seg" + ext);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /**
     * The BraTS cases of a folder: each sub-folder {@code CASE} with {@code CASE-seg.nii.gz} and the
     * chosen image {@code CASE-t1c.nii.gz} (or {@code _} separators, {@code .nii}, older names).
     *
     * @throws DatasetException when the modality is unknown or a case lacks the image
     */
    public static VolumeSource brats(Path dir, SourceOptions options) throws IOException {
        String modality = options.modality() == null ? "t1c" : options.modality().toLowerCase(Locale.ROOT);
        List<String> names = BRATS_MODALITIES.get(modality);
        if (names == null) {
            throw new DatasetException("--modality " + options.modality() + " is not a BraTS image; choose t1c, t1n,"
                    + " t2w or t2f");
        }
        List<Path> folders;
        try (Stream<Path> s = Files.list(dir)) {
            folders = new ArrayList<>(s.filter(Files::isDirectory).filter(c -> segOf(c) != null).toList());
        }
        folders.sort((a, b) -> SliceIndex.compareNatural(a.getFileName().toString(), b.getFileName().toString()));
        List<VolumeSource.Case> cases = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Path c : folders) {
            String name = c.getFileName().toString();
            Path image = null;
            for (String n : names) {
                for (String sep : List.of("-", "_")) {
                    for (String ext : List.of(".nii.gz", ".nii")) {
                        Path p = c.resolve(name + sep + n + ext);
                        if (image == null && Files.isRegularFile(p)) {
                            image = p;
                        }
                    }
                }
            }
            if (image == null) {
                missing.add(name);
            } else {
                cases.add(new VolumeSource.Case(name, image, 0, segOf(c)));
            }
        }
        if (!missing.isEmpty()) {
            throw new DatasetException("dataset " + dir + ": " + missing.size() + " BraTS case folders hold no "
                    + modality + " image (" + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                    + (missing.size() > 5 ? ", ..." : "") + "); expected CASE-" + modality + ".nii.gz beside"
                    + " CASE-seg.nii.gz, or choose another --modality");
        }
        if (cases.isEmpty()) {
            throw new DatasetException("dataset " + dir + " holds no BraTS case folder (CASE/CASE-seg.nii.gz)");
        }
        return new VolumeSource("BraTS", "brats", dir, cases, options);
    }

    /**
     * The training cases of a Decathlon task: {@code dataset.json}'s {@code training} list, the
     * modality chosen by name ({@code modality} in {@code dataset.json}, any case) or channel number.
     *
     * @throws DatasetException when {@code dataset.json} is unreadable or malformed, the modality
     *     unknown, or a listed file missing
     */
    public static VolumeSource decathlon(Path dir, SourceOptions options) throws IOException {
        Path json = dir.resolve("dataset.json");
        if (!Files.isRegularFile(json) || Files.size(json) > MAX_DATASET_JSON) {
            throw new DatasetException(json + ": " + (Files.isRegularFile(json) ? "is larger than 16 MiB; a dataset.json"
                    + " is small" : "missing or not a regular file; a Decathlon task holds dataset.json"));
        }
        JsonObject root;
        try (Reader r = Files.newBufferedReader(json, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new DatasetException(json + ": is not a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (RuntimeException e) {
            throw new DatasetException(json + ": is not valid JSON (" + ErrorText.describe(e) + ")");
        }
        int channel = channel(json, root, options.modality());
        JsonElement training = root.get("training");
        if (training == null || !training.isJsonArray()) {
            throw new DatasetException(json + ": has no \"training\" list of {\"image\", \"label\"} entries");
        }
        List<VolumeSource.Case> cases = new ArrayList<>();
        Path base = dir.toAbsolutePath().normalize();
        for (JsonElement t : (JsonArray) training) {
            if (!t.isJsonObject() || !t.getAsJsonObject().has("image") || !t.getAsJsonObject().has("label")
                    || !t.getAsJsonObject().get("image").isJsonPrimitive() || !t.getAsJsonObject().get("label").isJsonPrimitive()) {
                throw new DatasetException(json + ": a \"training\" entry is not {\"image\": PATH, \"label\": PATH}: " + t);
            }
            Path image = inside(json, base, t.getAsJsonObject().get("image").getAsString());
            Path label = inside(json, base, t.getAsJsonObject().get("label").getAsString());
            String name = image.getFileName().toString().replaceFirst("\\.nii(\\.gz)?$", "");
            cases.add(new VolumeSource.Case(name, image, channel, label));
        }
        if (cases.isEmpty()) {
            throw new DatasetException(json + ": the \"training\" list is empty");
        }
        return new VolumeSource("Decathlon Task01", "decathlon", dir, cases, options);
    }

    private static Path inside(Path json, Path base, String rel) throws DatasetException {
        Path p = base.resolve(rel).normalize();
        if (!p.startsWith(base)) {
            throw new DatasetException(json + ": the entry " + rel + " lies outside the task folder; entries are relative"
                    + " paths inside it");
        }
        return p;
    }

    private static int channel(Path json, JsonObject root, String modality) throws DatasetException {
        String want = modality == null ? "t1gd" : modality;
        if (want.matches("\\d{1,3}")) {
            return Integer.parseInt(want);
        }
        JsonElement m = root.get("modality");
        if (m != null && m.isJsonObject()) {
            List<String> names = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : m.getAsJsonObject().entrySet()) {
                String name = e.getValue().isJsonPrimitive() ? e.getValue().getAsString() : String.valueOf(e.getValue());
                names.add(e.getKey() + " " + name);
                if (name.equalsIgnoreCase(want) && e.getKey().matches("\\d{1,3}")) {
                    return Integer.parseInt(e.getKey());
                }
            }
            throw new DatasetException(json + ": has no modality named '" + want + "' (it lists " + String.join(", ", names)
                    + "); give --modality NAME or a channel number");
        }
        throw new DatasetException(json + ": lists no \"modality\" names; give --modality as a channel number (0, 1, ...)");
    }
}
