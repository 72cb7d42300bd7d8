import io.samtune.core.Prediction;
import io.samtune.core.Prompt;
import io.samtune.core.PromptMode;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.SamPredictor;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.Sample;
import io.samtune.data.DataSplit;
import io.samtune.data.SliceIndex;
import io.samtune.data.SplitSpec;
import io.samtune.eval.CheckpointScores;
import io.samtune.eval.DiceScorer;
import io.samtune.eval.ReportFigures;
import io.samtune.train.DecoderTrainer;
import io.samtune.train.SliceTrainingData;
import io.samtune.train.TrainingConfig;
import io.samtune.train.TrainingListener;
import io.samtune.train.TrainingResult;
import io.samtune.train.FineTuning;
import io.samtune.train.OptimizationConfig;
import io.samtune.train.RunConfig;
import io.samtune.train.RunDirectory;
import io.samtune.train.ScheduleConfig;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The notebook session of examples/notebook.jsh as a program. Run it with:
 *   java -cp "$(./samtune classpath)" examples/Notebook.java
 */
public class Notebook {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("samtune.root", "."));
        SliceIndex index = SliceIndex.scan(root.resolve("testdata/demo"));
        Sample slice = index.load(0);
        DataSplit split = SplitSpec.builder().optValFraction(0.1).optTestFraction(0.3).optSeed(42).build().split(index);
        System.out.println(index);
        System.out.println(slice);

        Path work = Files.createTempDirectory("samtune-example");
        try (SamModel model = SamModel.load(root.resolve("testdata/reference/tiny-sam.pth"),
                SamConfig.fromJson(root.resolve("testdata/reference/tiny-sam-config.json")));
             SamPredictor predictor = model.newPredictor()) {
            predictor.setImage(slice);
            Prediction prediction = predictor.predict(Prompt.of(slice.box()));
            System.out.printf("%s, Dice %.4f%n", prediction, prediction.mask().dice(slice.mask()));

            EmbeddingCache cache = new EmbeddingCache(work.resolve("cache"), model, IntensityWindow.minMax(), true);
            DiceScorer scorer = new DiceScorer(model, cache, PromptMode.BOX, IntensityWindow.minMax());
            CheckpointScores before = scorer.evaluate("before", split.test());

            DataConfig data = DataConfig.builder().setFolder(root.resolve("testdata/demo")).optBoxJitter(2).build();
            TrainingConfig config = TrainingConfig.builder().optData(data)
                    .optOptimization(OptimizationConfig.builder().optLearningRate(5e-3).optBatchSize(4).build())
                    .optSchedule(ScheduleConfig.builder().optMaxSteps(60).build())
                    .optRun(RunConfig.builder().optSeed(42).build()).build();
            try (DecoderTrainer trainer = new DecoderTrainer(model, config)) {
                trainer.addListener(TrainingListener.onStep(run -> {
                    if (run.step() % 15 == 0) {
                        System.out.printf("step %d loss %.4f%n", run.step(), run.loss());
                    }
                }));
                TrainingResult result = trainer.fit(new SliceTrainingData(split.train(), cache, data), null, null, false);
                System.out.println(result);
            }
            CheckpointScores after = scorer.evaluate("after", split.test());
            System.out.println(before);
            System.out.println(after);
            model.saveDecoder(work.resolve("decoder.safetensors"), Map.of());
            Prediction tuned = predictor.predict(Prompt.of(slice.box()));
            ReportFigures.writePng(ReportFigures.overlay(slice, tuned.mask(), Prompt.of(slice.box()), "after fine-tuning"),
                    work.resolve("overlay.png"));
            System.out.println("decoder and overlay in " + work);

            // a whole run from its settings alone: run.json records them, with every hash
            TrainingConfig settings = config.toBuilder().optModel(ModelConfig.builder()
                    .setCheckpoint(root.resolve("testdata/reference/tiny-sam.pth"))
                    .optSizes(SamConfig.fromJson(root.resolve("testdata/reference/tiny-sam-config.json")))
                    .optDevice("cpu").optCacheFolder(work.resolve("cache")).build())
                    .optSchedule(ScheduleConfig.builder().optMaxSteps(20).build()).build();
            RunDirectory run = new RunDirectory(work.resolve("run"));
            System.out.println(new FineTuning(settings).run(run, false));
            if (!TrainingConfig.fromJson(run.readRunInfo().get("settings")).equals(settings)) {
                throw new IllegalStateException("run.json does not hold the run's settings");
            }
        }
        if (System.getProperty("samtune.keepExampleFiles") == null) {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
