package io.samtune.train;

import com.google.gson.JsonObject;
import io.samtune.core.SamConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves the run to its folder: the resumable state (weights, optimizer, counters) and
 * {@code decoder-last} every {@code checkpointEvery} steps and at every epoch end, {@code decoder-best}
 * when the epoch's validation is the best (or every epoch with {@code --select last} or without
 * validation), and the last good state when the run stops on an error.
 */
final class Checkpoints implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    private final RunDirectory run;
    private final TrainableParameters parameters;
    private final Optimizer optimizer;
    private final SamConfig sizes;
    private final JsonObject resumeSettings;
    private final RunConfig config;

    Checkpoints(RunDirectory run, TrainableParameters parameters, Optimizer optimizer, SamConfig sizes,
                JsonObject resumeSettings, RunConfig config) {
        this.run = run;
        this.parameters = parameters;
        this.optimizer = optimizer;
        this.sizes = sizes;
        this.resumeSettings = resumeSettings;
        this.config = config;
    }

    @Override
    public void onStep(TrainingView view) {
        if (config.checkpointEvery() > 0 && view.step() % config.checkpointEvery() == 0 && !view.epochComplete()) {
            save(view);
        }
    }

    @Override
    public void onEpochEnd(TrainingView view) {
        save(view);
        if (view.isBest() || !view.validates() || config.select() == RunConfig.Selection.LAST) {
            try {
                run.saveDecoder(RunDirectory.DECODER_BEST, parameters, sizes, Map.of("step", Long.toString(view.step()),
                        "epoch", Integer.toString(view.epoch() + 1), "valDice", Double.toString(view.valDice())));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + run.file(RunDirectory.DECODER_BEST), e);
            }
        }
    }

    @Override
    public void onStop(TrainingView view, Exception cause) {
        try {
            save(view);
        } catch (UncheckedIOException e) {
            LOG.error("the last good state could not be saved: {}", e.getMessage());
        }
    }

    private void save(TrainingView view) {
        try {
            run.saveState(parameters, optimizer, sizes, RunDirectory.State.of(view), resumeSettings.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + run.file(RunDirectory.STATE), e);
        }
    }
}
