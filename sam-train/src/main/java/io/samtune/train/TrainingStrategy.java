package io.samtune.train;

import com.google.gson.JsonObject;
import io.samtune.core.SamModel;
import java.io.IOException;
import java.util.List;

/**
 * Everything distributed about a training run, in one object the loop calls: how each decoder
 * call's batch is shared out, how this process's gradients are combined with the others' before the
 * update, what follows the update (a federated round), whether this process writes the run folder
 * ("global zero"), and what the run records. The loop has no other distributed code.
 *
 * <p>Each step: the loop has the strategy {@link #computeGradients compute} the gradients of {@link
 * #shareOf this process's share} of every call, {@link #reduce} combines them, the optimizer
 * updates, then {@link #afterUpdate}. {@link #start} comes before the first step and {@link #finish}
 * after the last. {@link #SINGLE_DEVICE}, the default, does nothing of it; {@link DeviceReplicas}
 * shares each call over copies of the model on several devices of this process (around another
 * strategy); {@link AllReduceGradients} sums gradients over workers, and the data-parallel and
 * federated strategies of {@code sam-distributed} build on the cluster layer.
 */
public interface TrainingStrategy extends AutoCloseable {

    /** One process computing whole steps, writing its run. */
    TrainingStrategy SINGLE_DEVICE = new TrainingStrategy() {
        @Override
        public String toString() {
            return "SingleDevice";
        }
    };

    /** What a strategy may use of the run it joins ({@link #setUp}). */
    record Context(TrainingConfig config, SamModel model, RunDirectory run, JsonObject provenance,
                   DecoderTrainer.Validator validator, int trainingSize, int validationSize, boolean resume) {
    }

    /** A step's loss (mean over its samples) and its number of samples. */
    record Step(double loss, int samples) {
    }

    /**
     * Whether this process writes the run folder: checkpoints, metrics, curves and {@code run.json}
     * (true but for data-parallel workers other than rank 0, which train the same weights and, on a
     * resume, read the folder rank 0 writes).
     */
    default boolean isGlobalZero() {
        return true;
    }

    /**
     * Joins the other processes once the model, data and run folder are ready (a
     * {@link FineTuning} calls it; a caller of {@link DecoderTrainer#fit} directly sets it up itself).
     *
     * @throws IOException if they cannot be joined or do not run the same job (named)
     */
    default void setUp(Context run) throws IOException {
    }

    /** This process's rank among the workers that share each step (0 when it computes whole steps). */
    default int rank() {
        return 0;
    }

    /** The number of workers that share each step (1 when this process computes whole steps). */
    default int worldSize() {
        return 1;
    }

    /**
     * This process's positions of one decoder call: a contiguous share by {@link #rank()} (the first
     * shares one larger when the call does not divide), all of them for one worker.
     */
    default List<Integer> shareOf(List<Integer> call) {
        int world = worldSize();
        if (world == 1) {
            return call;
        }
        int n = call.size();
        int r = rank();
        int from = r * (n / world) + Math.min(r, n % world);
        int size = n / world + (r < n % world ? 1 : 0);
        return call.subList(from, from + size);
    }

    /**
     * The forward and backward passes of this process's share of a decoder call: leaves the
     * trained group's gradients of {@code scale} x the share's loss accumulated. By default one pass
     * on the trained model ({@link DecoderTrainer#computeOnModel}); a strategy holding copies of the
     * model on other devices shares the batch out over them.
     *
     * @return the share's mean loss (unscaled)
     */
    default double computeGradients(List<TrainingExample> share, double scale, DecoderTrainer trainer) {
        return trainer.computeOnModel(share, scale);
    }

    /**
     * The trained weights changed apart from the strategy's own hooks (an update in a custom loop,
     * a restored checkpoint): a strategy holding copies of them refreshes them.
     */
    default void weightsChanged(TrainableParameters parameters) {
    }

    /**
     * Combines this process's gradients of a step with the others' (in place) before the update.
     *
     * @param parameters the trained group, gradients attached
     * @param local this process's part: its loss (weighted by its share of the batch) and samples
     * @param run the run at the last completed step
     * @return the whole step's loss and samples
     */
    default Step reduce(TrainableParameters parameters, Step local, TrainingView run) {
        return local;
    }

    /** Called once before the first step (of a fresh or resumed run), e.g. to take over the others' weights. */
    default void start(TrainableParameters parameters, TrainingView run) {
    }

    /**
     * Called after every update, e.g. for a federated round; it may replace the group's tensors
     * ({@link TrainableParameters#assign}), the optimizer's moments kept by name.
     */
    default void afterUpdate(TrainableParameters parameters, TrainingView run) {
    }

    /**
     * Called once after the last step, e.g. for a final round that leaves every site with the same
     * weights; the run's last checkpoint is written again when this returns true.
     *
     * @return true if it changed the weights
     */
    default boolean finish(TrainableParameters parameters, TrainingView run) {
        return false;
    }

    /** Adds its record to the run's {@code run.json} (when the run ends, finished or not; global zero only). */
    default void describe(JsonObject runInfo) {
    }

    /** Leaves the other processes. */
    @Override
    default void close() {
    }
}
