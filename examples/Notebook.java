import io.samtune.core.Prediction;
import io.samtune.core.Prompt;
import io.samtune.core.PromptMode;
import io.samtune.core.SamConfig;
import io.samtune.core.SamModel;
import io.samtune.core.SamPredictor;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.BrainTumorSlice;
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
        BrainTumorSlice slice = index.load(0);
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

            TrainingConfig config = TrainingConfig.builder().optLearningRate(5e-3).optMaxSteps(60).optBatchSize(4)
                    .optSeed(42).build();
            try (DecoderTrainer trainer = new DecoderTrainer(model, config)) {
                trainer.addListener(TrainingListener.onStep(e -> {
                    if (e.step() % 15 == 0) {
                        System.out.printf("step %d loss %.4f%n", e.step(), e.loss());
                    }
                }));
                TrainingResult result = trainer.fit(new SliceTrainingData(split.train(), cache, PromptMode.BOX, 0), null,
                        null, false);
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
        }
    }
}
