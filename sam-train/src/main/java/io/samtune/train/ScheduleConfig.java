package io.samtune.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.data.ConfigJson;
import java.util.Locale;
import java.util.Objects;

/**
 * How long a run is and how its learning rate moves: epochs (or a number of optimizer steps), and
 * the schedule with its warm-up. Build with {@link #builder()}; every setting has a default.
 *
 * @param epochs passes over the training part (10); ignored when {@code maxSteps > 0}
 * @param maxSteps optimizer steps to run instead of epochs (0: use epochs)
 * @param kind schedule shape (constant)
 * @param warmupSteps linear warm-up steps (0)
 * @param stepSize steps between decays of the step schedule (1000)
 * @param stepGamma decay factor of the step schedule (0.1)
 */
public record ScheduleConfig(int epochs, long maxSteps, LearningRateSchedule.Kind kind, int warmupSteps, int stepSize,
                             double stepGamma) {

    /** Validates ranges; messages name the setting. */
    public ScheduleConfig {
        Objects.requireNonNull(kind, "kind");
        if (epochs < 1 && maxSteps < 1) {
            throw new IllegalArgumentException("give a number of epochs or of steps, at least 1");
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0, got " + maxSteps);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (stepSize < 1 || !(stepGamma > 0)) {
            throw new IllegalArgumentException("stepSize must be >= 1 and stepGamma > 0, got " + stepSize + " and "
                    + stepGamma);
        }
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults. */
    public static ScheduleConfig defaults() {
        return builder().build();
    }

    /** This config as a builder, to change a few settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.maxSteps = maxSteps;
        b.kind = kind;
        b.warmupSteps = warmupSteps;
        b.stepSize = stepSize;
        b.stepGamma = stepGamma;
        return b;
    }

    /** The learning rate of every step of a run of {@code totalSteps} steps from {@code baseLr}. */
    public LearningRateSchedule scheduleFor(double baseLr, long totalSteps) {
        return new LearningRateSchedule(kind, baseLr, warmupSteps, stepSize, stepGamma, Math.max(1, totalSteps));
    }

    /** Every setting as JSON; {@link #fromJson} reads it back to an equal config. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("epochs", epochs);
        o.addProperty("maxSteps", maxSteps);
        o.addProperty("schedule", kind.name().toLowerCase(Locale.ROOT));
        o.addProperty("warmupSteps", warmupSteps);
        o.addProperty("stepSize", stepSize);
        o.addProperty("stepGamma", stepGamma);
        return o;
    }

    /**
     * A config from JSON written by {@link #toJson}; absent keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown keys, wrong types or values out of range
     */
    public static ScheduleConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("schedule", json);
        Builder d = builder();
        ScheduleConfig c = new ScheduleConfig(j.int32("epochs", d.epochs), j.integer("maxSteps", d.maxSteps),
                LearningRateSchedule.Kind.parse(j.string("schedule", d.kind.name())), j.int32("warmupSteps", d.warmupSteps),
                j.int32("stepSize", d.stepSize), j.number("stepGamma", d.stepGamma));
        j.finish();
        return c;
    }

    @Override
    public String toString() {
        return "ScheduleConfig" + toJson();
    }

    /** Builds a {@link ScheduleConfig}. */
    public static final class Builder {
        private int epochs = 10;
        private long maxSteps;
        private LearningRateSchedule.Kind kind = LearningRateSchedule.Kind.CONSTANT;
        private int warmupSteps;
        private int stepSize = 1000;
        private double stepGamma = 0.1;

        private Builder() {
        }

        /** Epochs (10); clears a step count. */
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

        /** Schedule (constant). */
        public Builder optKind(LearningRateSchedule.Kind v) {
            kind = v;
            return this;
        }

        /** Linear warm-up steps (0). */
        public Builder optWarmupSteps(int v) {
            warmupSteps = v;
            return this;
        }

        /** Step schedule: multiply by {@code gamma} every {@code size} steps (1000, 0.1). */
        public Builder optStepDecay(int size, double gamma) {
            stepSize = size;
            stepGamma = gamma;
            return this;
        }

        /** Validates and builds. */
        public ScheduleConfig build() {
            return new ScheduleConfig(epochs, maxSteps, kind, warmupSteps, stepSize, stepGamma);
        }
    }
}
