package io.samtune.train;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.data.ConfigJson;
import java.util.Locale;
import java.util.Objects;

/**
 * What each optimizer step minimises and how: the loss, the optimizer and its hyper-parameters,
 * and how many slices make one step. Build with {@link #builder()}; every setting has a default.
 *
 * @param loss loss function (dice)
 * @param lowResLoss take the loss on the low-res logits against a resized mask instead of at the slice's size (false)
 * @param algorithm Adam or AdamW (adam)
 * @param learningRate base learning rate (1e-4)
 * @param beta1 decay of the first moment (0.9)
 * @param beta2 decay of the second moment (0.999)
 * @param epsilon added to the root of the second moment (1e-8)
 * @param weightDecay L2 (Adam) or decoupled (AdamW) weight decay (0)
 * @param batchSize slices per decoder call (4)
 * @param gradAccumulation decoder calls per optimizer step (1)
 */
public record OptimizationConfig(Loss loss, boolean lowResLoss, Algorithm algorithm, double learningRate, double beta1,
                                 double beta2, double epsilon, double weightDecay, int batchSize,
                                 int gradAccumulation) {

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

        /** The name used on the command line and in JSON. */
        public String label() {
            return this == DICE ? "dice" : "dice+bce";
        }
    }

    /** Optimizers. */
    public enum Algorithm {
        /** Adam (weight decay added to the gradient). */
        ADAM,
        /** AdamW (decoupled weight decay). */
        ADAMW;

        /** Parses {@code adam} or {@code adamw}. */
        public static Algorithm parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "adam" -> ADAM;
                case "adamw" -> ADAMW;
                default -> throw new IllegalArgumentException("unknown optimizer '" + s + "': use adam or adamw");
            };
        }

        /** The name used on the command line and in JSON. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Validates ranges; messages name the setting. */
    public OptimizationConfig {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(algorithm, "algorithm");
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + learningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta1 and beta2 must be in [0, 1), got " + beta1 + " and " + beta2);
        }
        if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (gradAccumulation < 1) {
            throw new IllegalArgumentException("gradAccumulation must be >= 1, got " + gradAccumulation);
        }
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults. */
    public static OptimizationConfig defaults() {
        return builder().build();
    }

    /** This config as a builder, to change a few settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.loss = loss;
        b.lowResLoss = lowResLoss;
        b.algorithm = algorithm;
        b.learningRate = learningRate;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.epsilon = epsilon;
        b.weightDecay = weightDecay;
        b.batchSize = batchSize;
        b.gradAccumulation = gradAccumulation;
        return b;
    }

    /** Slices per optimizer step: {@code batchSize * gradAccumulation}. */
    public int samplesPerStep() {
        return batchSize * gradAccumulation;
    }

    /** A new optimizer of these settings whose state lives under {@code parent}. */
    public Optimizer newOptimizer(NDManager parent) {
        return new Adam(parent, algorithm == Algorithm.ADAMW, beta1, beta2, epsilon, weightDecay);
    }

    /** Every setting as JSON; {@link #fromJson} reads it back to an equal config. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("loss", loss.label());
        o.addProperty("lowResLoss", lowResLoss);
        o.addProperty("optimizer", algorithm.label());
        o.addProperty("learningRate", learningRate);
        o.addProperty("beta1", beta1);
        o.addProperty("beta2", beta2);
        o.addProperty("epsilon", epsilon);
        o.addProperty("weightDecay", weightDecay);
        o.addProperty("batchSize", batchSize);
        o.addProperty("gradAccumulation", gradAccumulation);
        return o;
    }

    /**
     * A config from JSON written by {@link #toJson}; absent keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown keys, wrong types or values out of range
     */
    public static OptimizationConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("optimization", json);
        Builder d = builder();
        OptimizationConfig c = new OptimizationConfig(Loss.parse(j.string("loss", d.loss.label())),
                j.bool("lowResLoss", d.lowResLoss), Algorithm.parse(j.string("optimizer", d.algorithm.label())),
                j.number("learningRate", d.learningRate), j.number("beta1", d.beta1), j.number("beta2", d.beta2),
                j.number("epsilon", d.epsilon), j.number("weightDecay", d.weightDecay), j.int32("batchSize", d.batchSize),
                j.int32("gradAccumulation", d.gradAccumulation));
        j.finish();
        return c;
    }

    @Override
    public String toString() {
        return "OptimizationConfig" + toJson();
    }

    /** Builds an {@link OptimizationConfig}. */
    public static final class Builder {
        private Loss loss = Loss.DICE;
        private boolean lowResLoss;
        private Algorithm algorithm = Algorithm.ADAM;
        private double learningRate = 1e-4;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private double weightDecay;
        private int batchSize = 4;
        private int gradAccumulation = 1;

        private Builder() {
        }

        /** Loss (dice). */
        public Builder optLoss(Loss v) {
            loss = v;
            return this;
        }

        /** Loss on the low-res logits (false). */
        public Builder optLowResLoss(boolean v) {
            lowResLoss = v;
            return this;
        }

        /** Adam or AdamW (adam). */
        public Builder optAlgorithm(Algorithm v) {
            algorithm = v;
            return this;
        }

        /** Base learning rate (1e-4). */
        public Builder optLearningRate(double v) {
            learningRate = v;
            return this;
        }

        /** Moment decays (0.9, 0.999). */
        public Builder optBetas(double b1, double b2) {
            beta1 = b1;
            beta2 = b2;
            return this;
        }

        /** Epsilon (1e-8). */
        public Builder optEpsilon(double v) {
            epsilon = v;
            return this;
        }

        /** Weight decay (0). */
        public Builder optWeightDecay(double v) {
            weightDecay = v;
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

        /** Validates and builds. */
        public OptimizationConfig build() {
            return new OptimizationConfig(loss, lowResLoss, algorithm, learningRate, beta1, beta2, epsilon, weightDecay,
                    batchSize, gradAccumulation);
        }
    }
}
