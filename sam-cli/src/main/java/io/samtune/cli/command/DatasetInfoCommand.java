package io.samtune.cli.command;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.samtune.cli.option.SourceOptionGroup;
import io.samtune.data.BoxPrompt;
import io.samtune.data.DatasetException;
import io.samtune.data.PointPrompt;
import io.samtune.data.Sample;
import io.samtune.data.SampleFileException;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSource;
import io.samtune.data.SampleSources;
import io.samtune.data.SliceIndex;
import io.samtune.data.TumorType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune dataset-info}: reads every sample of a data folder (any layout) and prints, per
 * sample, its patient, size, mask area, box and centroid; then a summary on stderr (cases, samples,
 * sizes, orientations and labels found). Exit code 0 when every file is valid, 1 when some are not
 * (unless skipped), 2 for a usage error.
 */
@Command(name = "dataset-info", mixinStandardHelpOptions = true,
        description = "Check a data folder (.mat slices, BraTS, Decathlon, PNG) and describe every sample.",
        footer = {"", "Exit codes: 0 all files valid; 1 invalid files or missing folder; 2 bad options."})
public final class DatasetInfoCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "The data folder: .mat slices (searched recursively), BraTS case folders, a Decathlon task or images/ with masks/.")
    Path data;

    @Mixin
    SourceOptionGroup sourceOptions = new SourceOptionGroup();

    @Option(names = "--json", description = "One JSON object per sample and line on stdout.")
    boolean json;

    @Option(names = "--samples", description = "List every sample (the default; with --json, one object each).")
    boolean samples;

    @Option(names = "--skip-invalid", description = "Leave invalid files out (listed on stderr) instead of failing.")
    boolean skipInvalid;

    /** Runs the command; returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new DatasetInfoCommand(), out, err, args);
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(Commands.execute(new DatasetInfoCommand(), args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SampleSource source;
        SliceIndex index;
        List<SampleFileException> bad = new ArrayList<>();
        try {
            source = SampleSources.open(data, sourceOptions.toOptions());
            err.println("reading " + source.format() + " data in " + data);
            index = source.scan(true);
            bad.addAll(index.skipped());
        } catch (DatasetException e) {
            if (e.problems().isEmpty()) {
                err.println("error: " + e.getMessage());
            } else {
                e.problems().forEach(p -> err.println((skipInvalid ? "skipped: " : "invalid: ") + p.getMessage()));
                err.println("no valid sample in " + data);
            }
            return 1;
        } catch (IOException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        Gson gson = new GsonBuilder().serializeNulls().create();
        if (!json) {
            out.printf(Locale.ROOT, "%-14s %-5s %-11s %-10s %-9s %7s  %-22s %s%n", "sample", "fmt", "label", "patient",
                    "size", "area", "box x0,y0,x1,y1", "centroid x,y");
        }
        List<SampleRef> good = new ArrayList<>();
        for (SampleRef ref : index.infos()) {
            Sample s;
            try {
                s = ref.load();
            } catch (SampleFileException e) {
                bad.add(e);
                continue;
            } catch (IOException e) {
                bad.add(new SampleFileException(ref.file(), null, e.getMessage(), e));
                continue;
            }
            BoxPrompt box = s.mask().isEmpty() ? null : s.box();
            PointPrompt c = s.mask().isEmpty() ? null : PointPrompt.centroid(s.mask());
            if (json) {
                out.println(gson.toJson(toJson(data, s, box, c)));
            } else {
                out.printf(Locale.ROOT, "%-14s %-5s %-11s %-10s %-9s %7d  %-22s %s%n", ref.name(), ref.format(),
                        ref.label() == null ? "-" : ref.label(), ref.patientId(), s.height() + "x" + s.width(),
                        s.maskArea(), box == null ? "-" : (int) box.x0() + "," + (int) box.y0() + "," + (int) box.x1()
                        + "," + (int) box.y1(), c == null ? "-" : String.format(Locale.ROOT, "%.2f,%.2f", c.x(), c.y()));
            }
            good.add(ref);
            out.flush();
        }
        summarize(err, source, good, good.size() + bad.size());
        for (SampleFileException e : bad) {
            err.println((skipInvalid ? "skipped: " : "invalid: ") + e.getMessage());
        }
        if (!bad.isEmpty() && !skipInvalid) {
            err.println(bad.size() + " invalid file(s). Fix or remove them, or pass --skip-invalid to leave them out.");
            return 1;
        }
        return 0;
    }

    /** The JSON object of one sample: the numbers a user checks a conversion with. */
    static JsonObject toJson(Path root, Sample s, BoxPrompt box, PointPrompt c) {
        SampleRef ref = s.ref();
        JsonObject o = new JsonObject();
        o.addProperty("id", ref.name());
        o.addProperty("file", relative(root, ref.file()));
        o.addProperty("slice", ref.slice());
        o.addProperty("format", ref.format());
        o.addProperty("label", ref.tumorType() == null ? null : ref.tumorType().code());
        o.addProperty("patient", ref.patientId());
        o.addProperty("height", s.height());
        o.addProperty("width", s.width());
        o.addProperty("maskArea", s.maskArea());
        if (box == null) {
            o.add("box", JsonNull.INSTANCE);
            o.add("centroid", JsonNull.INSTANCE);
        } else {
            JsonArray b = new JsonArray();
            b.add((int) box.x0());
            b.add((int) box.y0());
            b.add((int) box.x1());
            b.add((int) box.y1());
            o.add("box", b);
            JsonArray ca = new JsonArray();
            ca.add(c.x());
            ca.add(c.y());
            o.add("centroid", ca);
        }
        o.addProperty("imageSum", s.imageSumOverMask());
        return o;
    }

    private static String relative(Path root, Path file) {
        Path r = root.toAbsolutePath().normalize();
        Path f = file.toAbsolutePath().normalize();
        return f.startsWith(r) ? SliceIndex.relativeName(r, f) : file.toString();
    }

    private static void summarize(PrintWriter err, SampleSource source, List<SampleRef> slices, int files) {
        Map<TumorType, Integer> byType = TumorType.count(slices, SampleRef::tumorType);
        Map<String, Integer> bySize = new TreeMap<>();
        Map<String, Integer> byFormat = new TreeMap<>();
        Set<String> patients = new HashSet<>();
        for (SampleRef s : slices) {
            bySize.merge(s.height() + "x" + s.width(), 1, Integer::sum);
            byFormat.merge(s.format(), 1, Integer::sum);
            patients.add(s.patientId());
        }
        StringBuilder sb = new StringBuilder();
        boolean volumes = slices.stream().anyMatch(s -> s.slice() != null);
        if (volumes) {
            sb.append(slices.size()).append(" samples (axial slices) of ").append(patients.size()).append(" cases");
        } else {
            sb.append(slices.size()).append(" valid slices of ").append(files).append(" files, ")
                    .append(patients.size()).append(" patients");
        }
        if (byType.values().stream().mapToInt(Integer::intValue).sum() > 0) {
            for (TumorType t : TumorType.values()) {
                sb.append("; ").append(t.displayName()).append(' ').append(byType.get(t));
            }
        }
        sb.append(System.lineSeparator()).append("sizes: ").append(join(bySize)).append("; formats: ").append(join(byFormat));
        for (String note : source.notes()) {
            sb.append(System.lineSeparator()).append(note);
        }
        err.println(sb);
    }

    private static String join(Map<String, Integer> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(": ").append(v));
        return sb.toString();
    }
}
