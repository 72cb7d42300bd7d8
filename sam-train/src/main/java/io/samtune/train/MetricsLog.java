package io.samtune.train;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every step and every epoch to the run's {@code metrics.jsonl} and redraws
 * {@code curves.png} at each epoch end (a resume has already cut the log back to its checkpoint).
 */
final class MetricsLog implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);

    private final RunDirectory run;

    MetricsLog(RunDirectory run) {
        this.run = run;
    }

    @Override
    public void onStep(TrainingView view) {
        JsonObject o = new JsonObject();
        o.addProperty("step", view.step());
        o.addProperty("epoch", view.epoch() + 1);
        o.addProperty("loss", view.loss());
        o.addProperty("lr", view.learningRate());
        write(o);
    }

    @Override
    public void onEpochEnd(TrainingView view) {
        JsonObject o = new JsonObject();
        o.addProperty("epoch", view.epoch() + 1);
        o.addProperty("step", view.step());
        o.addProperty("meanLoss", view.epochMeanLoss());
        if (!Double.isNaN(view.valDice())) {
            o.addProperty("valDice", view.valDice());
        }
        write(o);
        try {
            CurvesPlot.write(run);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot draw {}: {}", run.file(RunDirectory.CURVES), e.getMessage());
        }
    }

    private void write(JsonObject o) {
        try {
            run.appendMetric(o);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + run.file(RunDirectory.METRICS), e);
        }
    }
}
