package io.samtune.train;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import io.samtune.core.SamConfig;
import io.samtune.core.checkpoint.StateDict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves the run to its folder, one consistent checkpoint at a time ({@link RunDirectory#saveCheckpoint}):
 * every {@code checkpointEvery} steps, every {@code checkpointSeconds} seconds and at every epoch end, with {@code decoder-best} when the
 * epoch's validation is the best (every epoch with {@code --select last} or without validation).
 * When the run stops on an error the current state is saved if its weights are finite; a diverged
 * run keeps its last checkpoint, whose weights are the last good ones.
 */
final class Checkpoints implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    private final RunDirectory run;
    private final TrainableParameters parameters;
    private final Optimizer optimizer;
    private final SamConfig sizes;
    private final JsonObject resumeSettings;
    private final RunConfig config;
    private StateDict best;
    private Map<String, String> bestMetadata;
    private long lastSave = System.nanoTime();

    /**
     * @param restoredBest the best decoder of a resumed run (taken over and closed by this), or null
     */
    Checkpoints(RunDirectory run, TrainableParameters parameters, Optimizer optimizer, SamConfig sizes,
                JsonObject resumeSettings, RunConfig config, StateDict restoredBest, Map<String, String> restoredMeta) {
        this.run = run;
        this.parameters = parameters;
        this.optimizer = optimizer;
        this.sizes = sizes;
        this.resumeSettings = resumeSettings;
        this.config = config;
        this.best = restoredBest;
        this.bestMetadata = restoredMeta;
    }

    @Override
    public void onStep(TrainingView view) {
        boolean byStep = config.checkpointEvery() > 0 && view.step() % config.checkpointEvery() == 0;
        boolean byTime = config.checkpointSeconds() > 0
                && System.nanoTime() - lastSave >= config.checkpointSeconds() * 1_000_000_000L;
        if ((byStep || byTime) && !view.epochComplete()) {
            save(view, false);
        }
    }

    @Override
    public void onEpochEnd(TrainingView view) {
        boolean bestNow = view.isBest() || !view.validates() || config.select() == RunConfig.Selection.LAST;
        if (bestNow) {
            if (best == null) {
                best = new StateDict(parameters.arrays().values().iterator().next().getManager());
            }
            parameters.arrays().forEach((k, v) -> best.put(k, v.duplicate()));
            bestMetadata = new LinkedHashMap<>();
            bestMetadata.put("step", Long.toString(view.step()));
            bestMetadata.put("epoch", Integer.toString(view.epoch() + 1));
            bestMetadata.put("valDice", Double.toString(view.valDice()));
        }
        save(view, bestNow);
    }

    @Override
    public void onEnd(TrainingView view, TrainingResult result) {
        close();
    }

    @Override
    public void onStop(TrainingView view, Exception cause) {
        try {
            if (!(cause instanceof TrainingDivergedException) && finite()) {
                save(view, false);
            }
        } catch (UncheckedIOException e) {
            LOG.error("the state at step {} could not be saved: {}", view.step(), e.getMessage());
        } finally {
            close();
        }
    }

    /** Writes the state again after the loop changed the weights once more (a final synchronisation). */
    void saveFinal(TrainingView view) {
        save(view, false);
    }

    private boolean finite() {
        for (NDArray a : parameters.arrays().values()) {
            for (float v : a.toFloatArray()) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    private void close() {
        if (best != null) {
            best.close();
            best = null;
        }
    }

    private void save(TrainingView view, boolean bestChanged) {
        lastSave = System.nanoTime();
        try {
            run.saveCheckpoint(parameters, optimizer, sizes, RunDirectory.State.of(view, run.metricsBytes()),
                    resumeSettings.toString(), best == null ? null : best.tensors(), bestMetadata, bestChanged);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the checkpoint in " + run.path() + ": " + e.getMessage()
                    + (run.savedStep() >= 0 ? "; the checkpoint of step " + run.savedStep() + " is intact" : ""), e);
        }
    }
}
