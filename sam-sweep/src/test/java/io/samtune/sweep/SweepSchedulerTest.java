package io.samtune.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ASHA and median stopping through the sweep folder's rung files. */
class SweepSchedulerTest {

    @TempDir
    Path tmp;

    private SweepSpec spec(String type, String mode) {
        return SweepSpec.fromJson(JsonParser.parseString("{\"base\": {}, \"space\": {\"lr\": {\"grid\": [1e-3, 1e-2, 0.1, 10]}},"
                + " \"mode\": \"" + mode + "\", \"scheduler\": {\"type\": \"" + type + "\", \"maxEpochs\": 9,"
                + " \"gracePeriod\": 1, \"reductionFactor\": 3}}"), tmp);
    }

    @Test
    void ashaStopsThePlantedBadTrialAtTheFirstRung() throws Exception {
        SweepScheduler asha = new SweepScheduler(spec("asha", "max"), tmp);
        assertThat(asha.isRung(1)).isTrue();
        assertThat(asha.isRung(3)).isTrue();
        assertThat(asha.isRung(2)).isFalse();
        assertThat(asha.record(0, 1, 0.60)).as("alone at the rung").isTrue();
        assertThat(asha.record(1, 1, 0.70)).isTrue();
        assertThat(asha.record(2, 1, 0.65)).as("not in the best third of 0.60, 0.70, 0.65").isFalse();
        assertThat(asha.record(3, 1, 0.01)).as("the planted bad trial (lr 10)").isFalse();
        assertThat(asha.record(0, 2, 0.1)).as("epoch 2 is no rung").isTrue();
        // a resumed trial asking again gets the same answer, whatever was recorded since
        assertThat(asha.record(2, 1, 0.99)).isFalse();
        assertThat(tmp.resolve("rungs/epoch-001/trial-003.decision")).hasContent("stop");
    }

    @Test
    void medianStoppingAndMinimisedMetrics() throws Exception {
        SweepScheduler median = new SweepScheduler(spec("median", "min"), tmp);
        assertThat(median.record(0, 2, 0.5)).isTrue();
        assertThat(median.record(1, 2, 0.3)).isTrue();
        assertThat(median.record(2, 2, 0.9)).as("a loss above the others' median").isFalse();
        assertThat(median.record(3, 2, Double.NaN)).as("no metric: goes on").isTrue();
        SweepScheduler none = new SweepScheduler(spec("none", "max"), tmp.resolve("none"));
        assertThat(none.record(0, 1, 0.9)).isTrue();
        assertThat(none.record(1, 1, 0.0)).isTrue();
    }
}
