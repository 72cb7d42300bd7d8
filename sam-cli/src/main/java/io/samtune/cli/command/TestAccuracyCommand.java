package io.samtune.cli.command;

import io.samtune.eval.CheckpointScores;
import io.samtune.eval.DiceReport;
import io.samtune.eval.DiceScorer;
import io.samtune.core.Engines;
import io.samtune.eval.ReportFigures;
import io.samtune.eval.SliceScore;

import io.samtune.core.Prediction;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.train.RunDirectory;
import io.samtune.train.TrainingConfig;
import io.samtune.cli.option.Options;
import io.samtune.core.io.Sha256;
import com.google.gson.JsonObject;
import io.samtune.core.Prompt;
import io.samtune.core.PromptMode;
import io.samtune.core.SamModel;
import io.samtune.core.SamPredictor;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.cli.option.ModelOptions;
import io.samtune.cli.option.SliceOptions;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.Sample;
import io.samtune.data.DataSplit;
import io.samtune.data.DatasetException;
import io.samtune.data.MatFileException;
import io.samtune.data.SliceIndex;
import io.samtune.data.SampleRef;
import io.samtune.cli.option.SplitOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune test-accuracy}: scores the base checkpoint (zero-shot) and any number of
 * fine-tuned decoders by Dice on the same slices and prompts, prints a table and writes a report
 * folder. With no options it scores the bundled tiny model and the latest {@code samtune train} run
 * on the bundled demo slices.
 */
@Command(name = "test-accuracy", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Score SAM checkpoints by Dice on brain tumour slices and write a report.",
        footer = {"", "With --decoder RUN_DIR the data folder, split, base checkpoint, sizes, prompt and window come from the",
            "run's run.json (the test part it never trained on); options given beside it override them, with a warning.",
            "The split options are those of train: the same options give the same test part.",
            "Writes report.json, per-slice.csv, overlay-*.png (best and worst slices) and dice-per-type.png.",
            "Exit codes: 0 done; 1 bad data, checkpoint or empty split; 2 bad options."})
public final class TestAccuracyCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    SliceOptions sliceOptions = new SliceOptions();

    @Option(names = "--decoder", paramLabel = "FILE|RUN_DIR", description = "A fine-tuned decoder, or a train run folder (its decoder-best); repeatable.")
    List<Path> decoders = new ArrayList<>();

    @Option(names = "--split", paramLabel = "test|val|train|all", description = "Part of the dataset to score (default: test).")
    DataSplit.Part part = DataSplit.Part.TEST;

    @Mixin
    SplitOptions split = new SplitOptions();

    @Option(names = "--out", paramLabel = "REPORT_DIR", description = "Report folder (default: reports/test-accuracy-<date-time>).")
    Path out;

    /** Runs the command; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new TestAccuracyCommand(), out, err, args);
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(Commands.execute(new TestAccuracyCommand(), args));
    }

    /** The newest {@code runs/*} folder holding a best decoder, or null. */
    static Path latestRun(Path runs) throws IOException {
        if (!Files.isDirectory(runs)) {
            return null;
        }
        try (Stream<Path> s = Files.list(runs)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(RunDirectory.DECODER_BEST)))
                    .max(Comparator.comparing(p -> p.resolve(RunDirectory.DECODER_BEST).toFile().lastModified()))
                    .orElse(null);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!model.hasCheckpoint() && decoders.isEmpty()) {
            Path latest = latestRun(Path.of("runs"));
            if (latest != null) {
                decoders.add(latest);
                o.println("scoring the latest train run too: " + latest);
            } else {
                o.println("no train run in ./runs yet: scoring the base model only (run samtune train first)");
            }
        }
        if (out == null) {
            out = Commands.timestamped("reports", "test-accuracy");
        }
        TrainingConfig trained;
        List<String> basis = new ArrayList<>();
        try {
            trained = settingsOfRuns(basis, err);
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        ModelConfig modelConfig;
        DataConfig data;
        try {
            modelConfig = sliceOptions.apply(model.apply(trained == null ? null : trained.model(), spec)).build();
            DataConfig.Builder d = sliceOptions.apply(trained == null ? DataConfig.builder() : trained.data().toBuilder(),
                    spec);
            data = d.optSplit(split.apply(d.build().split(), spec)).optBoxJitter(0).build();
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage());
        }
        if (trained != null) {
            for (String option : List.of("--data", "--checkpoint", "--config", "--prompt", "--window", "--val-fraction",
                    "--test-fraction", "--folds", "--fold", "--cv-index", "--split-seed")) {
                if (Options.given(spec, option)) {
                    String w = "warning: " + option + " overrides the setting of the run it scores: the slices or the"
                            + " model may differ from those the run was trained and split with";
                    err.println(w);
                    basis.add(option + " given: overrides the run's setting");
                }
            }
            if (!model.hasCheckpoint()) {
                String sha = trainedSha256;
                if (sha != null && Files.isRegularFile(modelConfig.checkpoint())
                        && !sha.equals(Sha256.of(modelConfig.checkpoint()))) {
                    err.println("error: the base checkpoint " + modelConfig.checkpoint() + " has changed since the run"
                            + " trained on it (SHA-256 differs); pass --checkpoint to score against another one");
                    return 1;
                }
            }
        }
        PromptMode mode = data.prompt();
        List<Path> decoderFiles = new ArrayList<>();
        for (Path d : decoders) {
            Path f = Files.isDirectory(d) ? d.resolve(RunDirectory.DECODER_BEST) : d;
            if (!Files.isRegularFile(f)) {
                err.println("error: " + (Files.isDirectory(d) ? d + " is not a train run folder: it has no "
                        + RunDirectory.DECODER_BEST : "decoder file " + d + " not found"));
                return 1;
            }
            decoderFiles.add(f);
        }
        try (SamModel sam = modelConfig.load()) {
            SliceIndex index = data.scan();
            index.skipped().forEach(e -> err.println("skipped: " + e.getMessage()));
            List<SampleRef> slices = data.split().split(index).part(part);
            if (slices.isEmpty()) {
                err.println("error: the " + part.label() + " part of " + data.folder() + " is empty with " + data.split()
                        + "; choose --split all or other fractions");
                return 1;
            }
            o.printf(Locale.ROOT, "scoring %d %s slices of %s (%s) with the %s prompt%n", slices.size(), part.label(),
                    data.folder(), index.source().format(), mode);
            EmbeddingCache embeddings = new EmbeddingCache(modelConfig.cacheFolder(), sam, data.window(),
                    modelConfig.cacheFloat16());
            DiceScorer scorer = new DiceScorer(sam, embeddings, mode, data.window());
            List<CheckpointScores> results = new ArrayList<>();
            List<String> names = uniqueNames(decoderFiles);
            try (StateDict baseDecoder = sam.weights().subset("mask_decoder.", sam.manager());
                 StateDict basePrompt = sam.weights().subset("prompt_encoder.", sam.manager())) {
                results.add(score(scorer, "zero-shot", null, slices, err));
                for (Path f : decoderFiles) {
                    sam.loadDecoder(f);
                    results.add(score(scorer, names.get(decoderFiles.indexOf(f)), f, slices, err));
                    sam.weights().putAll(baseDecoder);
                    sam.weights().putAll(basePrompt); // a run may have trained it too
                    sam.removeAdapters(); // the next is scored on the checkpoint's encoder, or its own adapters
                }
            }
            DiceReport report = new DiceReport(results, mode.label(), part.label(), String.join("; ", basis.isEmpty()
                    ? List.of("the command's options") : basis));
            Files.createDirectories(out);
            report.write(out);
            drawFigures(sam, embeddings, report, slices, decoderFiles, mode, out);
            o.print(report.table());
            o.println("report in " + out.toAbsolutePath() + ": report.json, per-slice.csv, overlay-*.png,"
                    + " dice-per-type.png");
            return 0;
        } catch (DatasetException | MatFileException | CheckpointException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private String trainedSha256;

    /**
     * The settings of the run folders among {@code --decoder}: the data folder, split, base
     * checkpoint, sizes, prompt and window they were trained with, or null when no run folder with a
     * {@code run.json} is given. Runs trained on different data or splits are refused.
     */
    private TrainingConfig settingsOfRuns(List<String> basis, PrintWriter err) throws IOException {
        TrainingConfig first = null;
        Path firstRun = null;
        for (Path d : decoders) {
            RunDirectory run = new RunDirectory(d);
            if (!Files.isDirectory(d) || !Files.isRegularFile(run.file(RunDirectory.RUN))) {
                continue;
            }
            JsonObject info = run.readRunInfo();
            if (!info.has("settings")) {
                err.println("warning: " + run.file(RunDirectory.RUN) + " has no settings (an older samtune wrote it):"
                        + " its data and split come from the options");
                continue;
            }
            TrainingConfig c;
            try {
                c = TrainingConfig.fromJson(info.get("settings"));
            } catch (IllegalArgumentException e) {
                throw new IOException(run.file(RunDirectory.RUN) + ": " + e.getMessage(), e);
            }
            if (first == null) {
                first = c;
                firstRun = d;
                trainedSha256 = info.has("checkpointSha256") ? info.get("checkpointSha256").getAsString() : null;
                basis.add("data folder, split, checkpoint, prompt and window of " + run.file(RunDirectory.RUN));
            } else if (!c.data().folder().equals(first.data().folder()) || !c.data().split().equals(first.data().split())
                    || !c.model().checkpoint().equals(first.model().checkpoint())) {
                throw new IOException("--decoder " + d + " and --decoder " + firstRun + " were trained on different"
                        + " data, splits or base checkpoints, so no one test part is unseen by both; score them in"
                        + " separate test-accuracy runs");
            }
        }
        return first;
    }

    /**
     * A report name per decoder file: the shortest end of its path (at least folder/file) that no
     * other decoder of the report shares, without the {@code .safetensors} extension.
     */
    static List<String> uniqueNames(List<Path> files) {
        List<Path> abs = files.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        List<String> names = new ArrayList<>();
        for (Path p : abs) {
            int parts = Math.min(2, p.getNameCount());
            String name;
            while (true) {
                name = tail(p, parts);
                final String candidate = name;
                final int k = parts;
                boolean clash = abs.stream().anyMatch(o -> o != p && !o.equals(p) && tail(o, k).equals(candidate));
                if (!clash || parts >= p.getNameCount()) {
                    break;
                }
                parts++;
            }
            String base = name.replace(".safetensors", "");
            // the same file given twice keeps one name with a number
            int same = (int) names.stream().filter(n -> n.equals(base) || n.startsWith(base + " #")).count();
            names.add(same == 0 ? base : base + " #" + (same + 1));
        }
        return names;
    }

    private static String tail(Path p, int parts) {
        int n = p.getNameCount();
        return p.subpath(Math.max(0, n - parts), n).toString().replace('\\', '/');
    }

    private static CheckpointScores score(DiceScorer scorer, String name, Path decoder, List<SampleRef> slices,
                                          PrintWriter err) throws IOException {
        Counter counter = new Counter(err, name + " slices", slices.size());
        List<SliceScore> s = scorer.score(slices, counter);
        counter.finish();
        return new CheckpointScores(name, decoder, s);
    }

    /** Overlays of the best and worst slice of every checkpoint, and the bar chart. */
    private static void drawFigures(SamModel sam, EmbeddingCache embeddings, DiceReport report, List<SampleRef> slices,
                                    List<Path> decoderFiles, PromptMode mode, Path out) throws IOException {
        ReportFigures.writePng(ReportFigures.barChart(report), out.resolve("dice-per-type.png"));
        try (StateDict baseDecoder = sam.weights().subset("mask_decoder.", sam.manager());
             StateDict basePrompt = sam.weights().subset("prompt_encoder.", sam.manager());
             SamPredictor predictor = sam.newPredictor()) {
            for (int i = 0; i < report.results().size(); i++) {
                CheckpointScores r = report.results().get(i);
                if (i > 0) {
                    sam.loadDecoder(decoderFiles.get(i - 1)); // its decoder and adapters (none: the encoder's own)
                }
                List<SliceScore> sorted = new ArrayList<>(r.scores());
                sorted.sort(Comparator.comparingDouble(SliceScore::dice));
                String safe = r.name().replaceAll("[^A-Za-z0-9._-]+", "_");
                for (String which : List.of("best", "worst")) {
                    SliceScore s = which.equals("best") ? sorted.get(sorted.size() - 1) : sorted.get(0);
                    SampleRef info = slices.stream().filter(x -> x.name().equals(s.file())).findFirst().orElseThrow();
                    Sample slice = info.load();
                    try (ai.djl.ndarray.NDManager m = sam.manager().newSubManager()) {
                        predictor.setEmbedding(embeddings.get(info, m)); // cached: no second encoder pass
                    }
                    Prompt p = mode.promptFor(slice);
                    Prediction pred = predictor.predict(p, false);
                    String caption = String.format(Locale.ROOT, "%s | %s slice: %s %s | Dice %.3f",
                            r.name(), which, s.file(), s.label() == null ? "" : s.label().displayName(), s.dice());
                    ReportFigures.writePng(ReportFigures.overlay(slice, pred.mask(), p, caption),
                            out.resolve("overlay-" + safe + "-" + which + ".png"));
                }
                sam.weights().putAll(baseDecoder);
                sam.weights().putAll(basePrompt);
                sam.removeAdapters();
            }
        }
    }
}
