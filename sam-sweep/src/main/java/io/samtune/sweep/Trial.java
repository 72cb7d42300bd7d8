package io.samtune.sweep;

import com.google.gson.JsonObject;
import io.samtune.train.TrainingConfig;

/**
 * One trial of a sweep.
 *
 * @param index the trial's number, 0-based (its folder is {@code trial-NNN})
 * @param parameters the values drawn for it, by the space's keys
 * @param config the base settings with those values applied
 */
public record Trial(int index, JsonObject parameters, TrainingConfig config) {

    /** The trial's folder name in the sweep folder. */
    public String folderName() {
        return String.format(java.util.Locale.ROOT, "trial-%03d", index);
    }

    @Override
    public String toString() {
        return "Trial[" + folderName() + " " + parameters + "]";
    }
}
