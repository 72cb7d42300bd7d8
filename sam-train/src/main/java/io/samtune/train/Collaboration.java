package io.samtune.train;

import com.google.gson.JsonObject;
import io.samtune.core.SamModel;
import java.io.IOException;

/**
 * Other processes a run trains with (federated sites, data-parallel workers): the hooks it puts
 * into the loop and its record in {@code run.json}. {@link FineTuning#setCollaboration} joins one
 * once the model, data and run folder are ready; it is closed when the run ends.
 */
public interface Collaboration extends AutoCloseable {

    /** What a collaboration may use of the run it joins. */
    record Context(TrainingConfig config, SamModel model, RunDirectory run, JsonObject provenance,
                   DecoderTrainer.Validator validator, int trainingSize, int validationSize, boolean resume) {
    }

    /** Joins a collaboration for one run. */
    @FunctionalInterface
    interface Factory {
        /**
         * @throws IOException if it cannot be joined (certificates, peers, incompatible settings)
         */
        Collaboration join(Context run) throws IOException;

        /**
         * Whether this process writes the run folder (true but for data-parallel workers other
         * than rank 0, which train the same weights and write nothing; they resume from the
         * folder rank 0 writes).
         */
        default boolean writesRun() {
            return true;
        }
    }

    /** This process's rank among the workers that share each step (0 when it computes whole steps). */
    default int rank() {
        return 0;
    }

    /** The number of workers that share each step (1 when this process computes whole steps). */
    default int worldSize() {
        return 1;
    }

    /** The hook after updates (default: none). */
    default WeightSynchroniser synchroniser() {
        return WeightSynchroniser.NONE;
    }

    /** The hook before updates (default: none). */
    default GradientReducer reducer() {
        return GradientReducer.NONE;
    }

    /** Adds its record to the run's {@code run.json} (called at the end of the run, finished or not). */
    default void describe(JsonObject runInfo) {
    }

    /** Leaves the collaboration. */
    @Override
    default void close() {
    }
}
