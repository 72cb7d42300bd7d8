package io.samtune.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.data.ConfigJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every setting of a fine-tuning run, by concern: the data and its prompts, the model and its
 * embedding cache, the optimisation, the schedule and the run. Each part is its own record with
 * its own defaults; this record only puts them together, and it is what {@code run.json} holds
 * under {@code "settings"}, so a run can be started again from its {@code run.json} alone.
 *
 * <p>{@code data} and {@code model} may be null for a {@link DecoderTrainer} given its model and
 * samples directly; {@link FineTuning} needs both.
 *
 * @param data which slices, split, prompt, box jitter and window; null when samples are given directly
 * @param model which checkpoint, sizes, device and cache; null when the model is given directly
 * @param optimization loss, optimizer and batch
 * @param schedule length and learning-rate schedule
 * @param run seed, checkpoint frequency, decoder selection
 */
public record TrainingConfig(DataConfig data, ModelConfig model, OptimizationConfig optimization,
                             ScheduleConfig schedule, RunConfig run) {

    /** Validates that the three training concerns are present. */
    public TrainingConfig {
        Objects.requireNonNull(optimization, "optimization");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(run, "run");
    }

    /** A builder with every default and no data or model. */
    public static Builder builder() {
        return new Builder();
    }

    /** This config as a builder, to change a part. */
    public Builder toBuilder() {
        return new Builder().optData(data).optModel(model).optOptimization(optimization).optSchedule(schedule).optRun(run);
    }

    /** The data settings, or the defaults of a folder-less run when none are set. */
    DataConfig dataOrDefaults() {
        return data != null ? data : DataConfig.builder().setFolder(java.nio.file.Path.of(".")).build();
    }

    /** Every setting as JSON (sections {@code data}, {@code model}, {@code optimization}, {@code schedule}, {@code run}). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        if (data != null) {
            o.add("data", data.toJson());
        }
        if (model != null) {
            o.add("model", model.toJson());
        }
        o.add("optimization", optimization.toJson());
        o.add("schedule", schedule.toJson());
        o.add("run", run.toJson());
        return o;
    }

    /**
     * A config from JSON written by {@link #toJson}; absent sections and keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown sections or keys, wrong types or values out of range
     */
    public static TrainingConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("settings", json);
        Builder b = builder();
        if (j.has("data")) {
            b.optData(DataConfig.fromJson(j.element("data")));
        }
        if (j.has("model")) {
            b.optModel(ModelConfig.fromJson(j.element("model")));
        }
        if (j.has("optimization")) {
            b.optOptimization(OptimizationConfig.fromJson(j.element("optimization")));
        }
        if (j.has("schedule")) {
            b.optSchedule(ScheduleConfig.fromJson(j.element("schedule")));
        }
        if (j.has("run")) {
            b.optRun(RunConfig.fromJson(j.element("run")));
        }
        j.finish();
        return b.build();
    }

    /**
     * The settings a resumed run must share with the run it continues, as one flat JSON object:
     * everything that changes the numbers (not the run's length, checkpoint frequency, device,
     * folders or decoder selection; the length too under a cosine schedule). The names are those of
     * training-state format 1.
     */
    public JsonObject resumeSettings() {
        DataConfig d = dataOrDefaults();
        JsonObject o = new JsonObject();
        o.addProperty("prompt", d.prompt().label());
        o.addProperty("boxJitter", d.boxJitter());
        o.addProperty("loss", optimization.loss().label());
        o.addProperty("lowResLoss", optimization.lowResLoss());
        o.addProperty("optimizer", optimization.algorithm().label());
        o.addProperty("learningRate", optimization.learningRate());
        o.addProperty("weightDecay", optimization.weightDecay());
        o.addProperty("schedule", schedule.toJson().get("schedule").getAsString());
        o.addProperty("warmupSteps", schedule.warmupSteps());
        o.addProperty("stepSize", schedule.stepSize());
        o.addProperty("stepGamma", schedule.stepGamma());
        o.addProperty("batchSize", optimization.batchSize());
        o.addProperty("gradAccumulation", optimization.gradAccumulation());
        o.addProperty("seed", run.seed());
        o.addProperty("window", d.window().toString());
        o.addProperty("cacheFloat16", model == null || model.cacheFloat16());
        o.addProperty("adapter", model == null || model.adapter() == null ? "none" : model.adapter().toString());
        o.addProperty("trainPromptEncoder", model != null && model.trainPromptEncoder());
        o.addProperty("beta1", optimization.beta1());
        o.addProperty("beta2", optimization.beta2());
        o.addProperty("epsilon", optimization.epsilon());
        if (schedule.kind() == LearningRateSchedule.Kind.COSINE) {
            // the cosine's learning rate at a step depends on the run's length
            o.addProperty("scheduleLength", schedule.maxSteps() > 0 ? schedule.maxSteps() + " steps"
                    : schedule.epochs() + " epochs");
        }
        return o;
    }

    /**
     * The settings in which a saved {@link #resumeSettings()} differs from this config's, each as
     * {@code "name: saved X, given Y"}. A setting the saved object lacks (an older format) counts as
     * its default. Empty when a resume may go on.
     */
    public List<String> resumeDifferences(JsonObject saved) {
        JsonObject given = resumeSettings();
        JsonObject defaults = builder().build().resumeSettings();
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : given.entrySet()) {
            JsonElement s = saved.has(e.getKey()) ? saved.get(e.getKey())
                    : defaults.has(e.getKey()) ? defaults.get(e.getKey()) : com.google.gson.JsonNull.INSTANCE;
            if (!s.equals(e.getValue())) {
                out.add(e.getKey() + ": saved " + s + ", given " + e.getValue());
            }
        }
        for (String k : saved.keySet()) {
            if (!given.has(k)) {
                out.add(k + ": saved " + saved.get(k) + ", unknown to this version");
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "TrainingConfig" + toJson();
    }

    /** Builds a {@link TrainingConfig}. */
    public static final class Builder {
        private DataConfig data;
        private ModelConfig model;
        private OptimizationConfig optimization = OptimizationConfig.defaults();
        private ScheduleConfig schedule = ScheduleConfig.defaults();
        private RunConfig run = RunConfig.defaults();

        private Builder() {
        }

        /** The data settings (none: samples are given to the trainer directly). */
        public Builder optData(DataConfig v) {
            data = v;
            return this;
        }

        /** The model settings (none: the model is given to the trainer directly). */
        public Builder optModel(ModelConfig v) {
            model = v;
            return this;
        }

        /** Loss, optimizer and batch (defaults). */
        public Builder optOptimization(OptimizationConfig v) {
            optimization = v;
            return this;
        }

        /** Length and schedule (10 epochs, constant). */
        public Builder optSchedule(ScheduleConfig v) {
            schedule = v;
            return this;
        }

        /** Seed, checkpoints, selection (seed 42). */
        public Builder optRun(RunConfig v) {
            run = v;
            return this;
        }

        /** Validates and builds. */
        public TrainingConfig build() {
            return new TrainingConfig(data, model, optimization, schedule, run);
        }
    }
}
