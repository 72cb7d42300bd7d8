package io.samtune.cli.command;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.samtune.data.BoxPrompt;
import io.samtune.data.BrainTumorSlice;
import io.samtune.data.DatasetException;
import io.samtune.data.MatFileException;
import io.samtune.data.MatSliceReader;
import io.samtune.data.PointPrompt;
import io.samtune.data.SliceIndex;
import io.samtune.data.SliceInfo;
import io.samtune.data.TumorType;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune dataset-info}: reads every slice of a folder and prints, per slice, its label,
 * patient, size, mask area, box and centroid; then a summary on stderr. Exit code 0 when every file
 * is valid, 1 when some are not (unless skipped), 2 for a usage error.
 */
@Command(name = "dataset-info", mixinStandardHelpOptions = true,
        description = "Check a brain tumour dataset folder and describe every slice.",
        footer = {"", "Exit codes: 0 all files valid; 1 invalid files or missing folder; 2 bad options."})
public final class DatasetInfoCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Folder of slice .mat files (searched recursively).")
    Path data;

    @Option(names = "--json", description = "One JSON object per slice and line on stdout.")
    boolean json;

    @Option(names = "--skip-invalid", description = "Leave invalid files out (listed on stderr) instead of failing.")
    boolean skipInvalid;

    /** Runs the command; returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new DatasetInfoCommand(), out, err, args);
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(Commands.commandLine(new DatasetInfoCommand()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Path> files;
        try {
            files = SliceIndex.listSliceFiles(data);
        } catch (DatasetException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        Gson gson = new Gson();
        List<MatFileException> bad = new ArrayList<>();
        List<SliceInfo> good = new ArrayList<>(); // headers only: memory does not grow with the slices
        if (!json) {
            out.printf(Locale.ROOT, "%-14s %-5s %-11s %-10s %-9s %7s  %-22s %s%n", "file", "fmt", "label", "patient",
                    "size", "area", "box x0,y0,x1,y1", "centroid x,y");
        }
        for (Path f : files) {
            BrainTumorSlice s;
            try {
                s = MatSliceReader.read(f);
            } catch (MatFileException e) {
                bad.add(e);
                continue;
            }
            String name = SliceIndex.relativeName(data, f);
            BoxPrompt box = s.box();
            PointPrompt c = s.centroid();
            if (json) {
                out.println(gson.toJson(toJson(name, s, box, c)));
            } else {
                out.printf(Locale.ROOT, "%-14s %-5s %-11s %-10s %-9s %7d  %-22s %.2f,%.2f%n", name, s.format(),
                        s.label().displayName(), s.patientId(), s.height() + "x" + s.width(), s.maskArea(),
                        (int) box.x0() + "," + (int) box.y0() + "," + (int) box.x1() + "," + (int) box.y1(), c.x(), c.y());
            }
            good.add(new SliceInfo(f, name, s.format(), s.label(), s.patientId(), s.height(), s.width()));
            out.flush();
        }
        summarize(err, good, files.size());
        for (MatFileException e : bad) {
            err.println((skipInvalid ? "skipped: " : "invalid: ") + e.getMessage());
        }
        if (!bad.isEmpty() && !skipInvalid) {
            err.println(bad.size() + " invalid file(s). Fix or remove them, or pass --skip-invalid to leave them out.");
            return 1;
        }
        return 0;
    }

    static JsonObject toJson(String name, BrainTumorSlice s, BoxPrompt box, PointPrompt c) {
        JsonObject o = new JsonObject();
        o.addProperty("file", name);
        o.addProperty("format", s.format().label());
        o.addProperty("label", s.label().code());
        o.addProperty("pid", s.patientId());
        o.addProperty("height", s.height());
        o.addProperty("width", s.width());
        o.addProperty("maskArea", s.maskArea());
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
        return o;
    }

    private static void summarize(PrintWriter err, List<SliceInfo> slices, int files) {
        Map<TumorType, Integer> byType = TumorType.count(slices, SliceInfo::label);
        Map<String, Integer> bySize = new TreeMap<>();
        Map<String, Integer> byFormat = new TreeMap<>();
        Set<String> patients = new HashSet<>();
        for (SliceInfo s : slices) {
            bySize.merge(s.height() + "x" + s.width(), 1, Integer::sum);
            byFormat.merge(s.format().label(), 1, Integer::sum);
            patients.add(s.patientId());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(slices.size()).append(" valid slices of ").append(files).append(" files, ")
                .append(patients.size()).append(" patients");
        for (TumorType t : TumorType.values()) {
            sb.append("; ").append(t.displayName()).append(' ').append(byType.get(t));
        }
        sb.append(System.lineSeparator()).append("sizes: ").append(join(bySize)).append("; formats: ").append(join(byFormat));
        err.println(sb);
    }

    private static String join(Map<String, Integer> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(": ").append(v));
        return sb.toString();
    }
}
