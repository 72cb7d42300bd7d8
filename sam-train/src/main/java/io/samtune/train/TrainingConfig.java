package io.samtune.train;

import com.google.gson.JsonObject;
import io.samtune.core.PromptMode;
import io.samtune.core.image.IntensityWindow;
import java.util.Locale;

/**
 * Every setting of a decoder fine-tuning run. Build with {@link #builder()}; all settings have
 * defaults.
 *
 * @param prompt prompt made from each slice's mask (box)
 * @param boxJitter largest random move of each box side in pixels during training (0)
 * @param loss loss function (Dice)
 * @param lowResLoss compute the loss on the low-res logits against a resized mask instead of at the slice's size
 * @param optimizer Adam or AdamW
 * @param learningRate base learning rate (1e-4)
 * @param weightDecay weight decay (0)
 * @param schedule learning-rate schedule kind (constant)
 * @param warmupSteps linear warm-up steps (0)
 * @param stepSize steps between decays of the step schedule (1000)
 * @param stepGamma decay factor of the step schedule (0.1)
 * @param batchSize slices per decoder call (4)
 * @param gradAccumulation decoder calls per optimizer step (1)
 * @param epochs passes over the training part (10); ignored when {@code maxSteps > 0}
 * @param maxSteps optimizer steps to run instead of epochs (0 = use epochs)
 * @param seed seed of shuffling, jitter and anything random (42)
 * @param checkpointEvery save a resumable checkpoint every N optimizer steps, besides each epoch end (0 = only at epoch ends)
 * @param window intensity window of the slices (minmax)
 * @param cacheFloat16 store cached embeddings as float16 (true)
 */
public record TrainingConfig(PromptMode prompt, int boxJitter, Loss loss, boolean lowResLoss, Optimizer optimizer,
                             double learningRate, double weightDecay, LearningRateSchedule.Kind schedule, int warmupSteps,
                             int stepSize, double stepGamma, int batchSize, int gradAccumulation, int epochs,
                             long maxSteps, long seed, int checkpointEvery, IntensityWindow window,
                             boolean cacheFloat16) {

    /** Loss functions. */
    public enum Loss {
        /** Soft Dice. */
        DICE,
        /** Soft Dice plus binary cross-entropy. */
        DICE_BCE;

        /** Parses {@code dice} or {@code dice+bce}. */
        public static Loss parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "dice" -> DICE;
                case "dice+bce", "dice_bce" -> DICE_BCE;
                default -> throw new IllegalArgumentException("unknown loss '" + s + "': use dice or dice+bce");
            };
        }

        /** The command-line name. */
        public String label() {
            return this == DICE ? "dice" : "dice+bce";
        }
    }

    /** Optimizers. */
    public enum Optimizer {
        /** Adam (weight decay added to the gradient). */
        ADAM,
        /** AdamW (decoupled weight decay). */
        ADAMW;

        /** Parses {@code adam} or {@code adamw}. */
        public static Optimizer parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "adam" -> ADAM;
                case "adamw" -> ADAMW;
                default -> throw new IllegalArgumentException("unknown optimizer '" + s + "': use adam or adamw");
            };
        }
    }

    /** Validates ranges. */
    public TrainingConfig {
        if (boxJitter < 0) {
            throw new IllegalArgumentException("boxJitter must be >= 0, got " + boxJitter);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + learningRate);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }
        if (batchSize < 1 || gradAccumulation < 1) {
            throw new IllegalArgumentException("batchSize and gradAccumulation must be >= 1");
        }
        if (epochs < 1 && maxSteps < 1) {
            throw new IllegalArgumentException("give a number of epochs or of steps, at least 1");
        }
        if (maxSteps < 0 || checkpointEvery < 0 || warmupSteps < 0 || stepSize < 1 || !(stepGamma > 0)) {
            throw new IllegalArgumentException("steps, checkpointEvery, warmupSteps must be >= 0, stepSize >= 1, gamma > 0");
        }
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** This config as a builder, to change a few settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.prompt = prompt;
        b.boxJitter = boxJitter;
        b.loss = loss;
        b.lowResLoss = lowResLoss;
        b.optimizer = optimizer;
        b.learningRate = learningRate;
        b.weightDecay = weightDecay;
        b.schedule = schedule;
        b.warmupSteps = warmupSteps;
        b.stepSize = stepSize;
        b.stepGamma = stepGamma;
        b.batchSize = batchSize;
        b.gradAccumulation = gradAccumulation;
        b.epochs = epochs;
        b.maxSteps = maxSteps;
        b.seed = seed;
        b.checkpointEvery = checkpointEvery;
        b.window = window;
        b.cacheFloat16 = cacheFloat16;
        return b;
    }

    /** The learning-rate schedule for a run of {@code totalSteps} optimizer steps. */
    public LearningRateSchedule scheduleFor(long totalSteps) {
        return new LearningRateSchedule(schedule, learningRate, warmupSteps, stepSize, stepGamma, Math.max(1, totalSteps));
    }

    /** Every setting as JSON (for {@code run.json}). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("prompt", prompt.label());
        o.addProperty("boxJitter", boxJitter);
        o.addProperty("loss", loss.label());
        o.addProperty("lowResLoss", lowResLoss);
        o.addProperty("optimizer", optimizer.name().toLowerCase(Locale.ROOT));
        o.addProperty("learningRate", learningRate);
        o.addProperty("weightDecay", weightDecay);
        o.addProperty("schedule", schedule.name().toLowerCase(Locale.ROOT));
        o.addProperty("warmupSteps", warmupSteps);
        o.addProperty("stepSize", stepSize);
        o.addProperty("stepGamma", stepGamma);
        o.addProperty("batchSize", batchSize);
        o.addProperty("gradAccumulation", gradAccumulation);
        o.addProperty("epochs", epochs);
        o.addProperty("maxSteps", maxSteps);
        o.addProperty("seed", seed);
        o.addProperty("checkpointEvery", checkpointEvery);
        o.addProperty("window", window.toString());
        o.addProperty("cacheFloat16", cacheFloat16);
        return o;
    }

    /**
     * The settings a resumed run must share with the run it continues (everything but the run's
     * length and checkpoint frequency), as JSON text.
     */
    public String resumeKey() {
        JsonObject o = toJson();
        o.remove("epochs");
        o.remove("maxSteps");
        o.remove("checkpointEvery");
        return o.toString();
    }

    @Override
    public String toString() {
        return "TrainingConfig" + toJson();
    }

    /** Builds a {@link TrainingConfig}. */
    public static final class Builder {
        private PromptMode prompt = PromptMode.BOX;
        private int boxJitter;
        private Loss loss = Loss.DICE;
        private boolean lowResLoss;
        private Optimizer optimizer = Optimizer.ADAM;
        private double learningRate = 1e-4;
        private double weightDecay;
        private LearningRateSchedule.Kind schedule = LearningRateSchedule.Kind.CONSTANT;
        private int warmupSteps;
        private int stepSize = 1000;
        private double stepGamma = 0.1;
        private int batchSize = 4;
        private int gradAccumulation = 1;
        private int epochs = 10;
        private long maxSteps;
        private long seed = 42;
        private int checkpointEvery;
        private IntensityWindow window = IntensityWindow.minMax();
        private boolean cacheFloat16 = true;

        private Builder() {
        }

        /** Prompt kind (box). */
        public Builder optPrompt(PromptMode v) {
            prompt = v;
            return this;
        }

        /** Box jitter in pixels (0). */
        public Builder optBoxJitter(int v) {
            boxJitter = v;
            return this;
        }

        /** Loss (Dice). */
        public Builder optLoss(Loss v) {
            loss = v;
            return this;
        }

        /** Loss on the low-res logits (false). */
        public Builder optLowResLoss(boolean v) {
            lowResLoss = v;
            return this;
        }

        /** Optimizer (Adam). */
        public Builder optOptimizer(Optimizer v) {
            optimizer = v;
            return this;
        }

        /** Learning rate (1e-4). */
        public Builder optLearningRate(double v) {
            learningRate = v;
            return this;
        }

        /** Weight decay (0). */
        public Builder optWeightDecay(double v) {
            weightDecay = v;
            return this;
        }

        /** Schedule (constant) with linear warm-up steps (0). */
        public Builder optSchedule(LearningRateSchedule.Kind v, int warmup) {
            schedule = v;
            warmupSteps = warmup;
            return this;
        }

        /** Step schedule: multiply by gamma every stepSize steps. */
        public Builder optStepDecay(int size, double gamma) {
            stepSize = size;
            stepGamma = gamma;
            return this;
        }

        /** Slices per decoder call (4). */
        public Builder optBatchSize(int v) {
            batchSize = v;
            return this;
        }

        /** Decoder calls per optimizer step (1). */
        public Builder optGradAccumulation(int v) {
            gradAccumulation = v;
            return this;
        }

        /** Epochs (10). */
        public Builder optEpochs(int v) {
            epochs = v;
            maxSteps = 0;
            return this;
        }

        /** Optimizer steps instead of epochs. */
        public Builder optMaxSteps(long v) {
            maxSteps = v;
            return this;
        }

        /** Seed (42). */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** Checkpoint every N steps besides epoch ends (0 = epoch ends only). */
        public Builder optCheckpointEvery(int v) {
            checkpointEvery = v;
            return this;
        }

        /** Intensity window (minmax). */
        public Builder optWindow(IntensityWindow v) {
            window = v;
            return this;
        }

        /** Cached embeddings as float16 (true) or float32. */
        public Builder optCacheFloat16(boolean v) {
            cacheFloat16 = v;
            return this;
        }

        /** Validates and builds. */
        public TrainingConfig build() {
            return new TrainingConfig(prompt, boxJitter, loss, lowResLoss, optimizer, learningRate, weightDecay, schedule,
                    warmupSteps, stepSize, stepGamma, batchSize, gradAccumulation, epochs, maxSteps, seed,
                    checkpointEvery, window, cacheFloat16);
        }
    }
}
