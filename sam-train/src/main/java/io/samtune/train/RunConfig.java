package io.samtune.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.data.ConfigJson;
import java.util.Locale;
import java.util.Objects;

/**
 * How a run behaves as a job: the seed of its randomness (sample order and box jitter; the patient
 * split has its own seed in {@link io.samtune.core.config.DataConfig}), how often it checkpoints,
 * and which decoder it calls the result. Build with {@link #builder()}; every setting has a default.
 *
 * @param seed seed of shuffling, jitter and anything random in training (42)
 * @param checkpointEvery also save a resumable checkpoint every N optimizer steps (0: only at epoch ends)
 * @param select which decoder {@code decoder-best} holds: the best on validation, or the last
 * @param patience stop when validation Dice has not improved for this many epochs (0: never)
 * @param checkpointSeconds also checkpoint when this many seconds have passed since the last one (0: never)
 */
public record RunConfig(long seed, int checkpointEvery, Selection select, int patience, int checkpointSeconds) {

    /** The default training seed. */
    public static final long DEFAULT_SEED = 42;

    /** What {@code decoder-best} holds. */
    public enum Selection {
        /** The decoder of the epoch with the highest validation Dice (the last one without validation). */
        BEST_VAL,
        /** The decoder of the last epoch. */
        LAST;

        /** Parses {@code best-val} or {@code last}. */
        public static Selection parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "best-val", "best" -> BEST_VAL;
                case "last" -> LAST;
                default -> throw new IllegalArgumentException("unknown selection '" + s + "': use best-val or last");
            };
        }

        /** The name used on the command line and in JSON. */
        public String label() {
            return this == BEST_VAL ? "best-val" : "last";
        }
    }

    /** Validates ranges. */
    public RunConfig {
        Objects.requireNonNull(select, "select");
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpointEvery must be >= 0, got " + checkpointEvery);
        }
        if (checkpointSeconds < 0) {
            throw new IllegalArgumentException("checkpointSeconds must be >= 0, got " + checkpointSeconds);
        }
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be >= 0 epochs, got " + patience);
        }
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults. */
    public static RunConfig defaults() {
        return builder().build();
    }

    /** This config as a builder, to change a few settings. */
    public Builder toBuilder() {
        return new Builder().optSeed(seed).optCheckpointEvery(checkpointEvery).optSelect(select).optPatience(patience)
                .optCheckpointSeconds(checkpointSeconds);
    }

    /** Every setting as JSON; {@link #fromJson} reads it back to an equal config. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("seed", seed);
        o.addProperty("checkpointEvery", checkpointEvery);
        o.addProperty("select", select.label());
        o.addProperty("patience", patience);
        o.addProperty("checkpointSeconds", checkpointSeconds);
        return o;
    }

    /**
     * A config from JSON written by {@link #toJson}; absent keys take the defaults.
     *
     * @throws IllegalArgumentException for unknown keys, wrong types or values out of range
     */
    public static RunConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("run", json);
        Builder d = builder();
        RunConfig c = new RunConfig(j.integer("seed", d.seed), j.int32("checkpointEvery", d.checkpointEvery),
                Selection.parse(j.string("select", d.select.label())), j.int32("patience", d.patience),
                j.int32("checkpointSeconds", d.checkpointSeconds));
        j.finish();
        return c;
    }

    @Override
    public String toString() {
        return "RunConfig" + toJson();
    }

    /** Builds a {@link RunConfig}. */
    public static final class Builder {
        private long seed = DEFAULT_SEED;
        private int checkpointEvery;
        private Selection select = Selection.BEST_VAL;
        private int patience;
        private int checkpointSeconds;

        private Builder() {
        }

        /** Training seed (42). */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** Checkpoint every N steps besides epoch ends (0: epoch ends only). */
        public Builder optCheckpointEvery(int v) {
            checkpointEvery = v;
            return this;
        }

        /** What {@code decoder-best} holds (best-val). */
        public Builder optSelect(Selection v) {
            select = v;
            return this;
        }

        /** Stop after this many epochs without a better validation Dice (0: never). */
        public Builder optPatience(int v) {
            patience = v;
            return this;
        }

        /** Also checkpoint when this many seconds have passed since the last checkpoint (0: never). */
        public Builder optCheckpointSeconds(int v) {
            checkpointSeconds = v;
            return this;
        }

        /** Validates and builds. */
        public RunConfig build() {
            return new RunConfig(seed, checkpointEvery, select, patience, checkpointSeconds);
        }
    }
}
