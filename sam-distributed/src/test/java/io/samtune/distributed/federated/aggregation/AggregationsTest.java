package io.samtune.distributed.federated.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.samtune.distributed.federated.aggregation.Aggregation.SiteUpdate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The merge setting read from names and objects, written back, and bad settings and inputs refused by name. */
class AggregationsTest {

    @Test
    void namesGiveTheDefaults() {
        assertThat(Aggregations.parse("mean")).isEqualTo(new WeightedMean());
        assertThat(Aggregations.parse("CoordMedian")).isEqualTo(new CoordinateMedian());
        assertThat(Aggregations.parse("trimmedmean")).isEqualTo(new TrimmedMean(1));
        assertThat(Aggregations.parse(new JsonPrimitive("geomedian"))).isEqualTo(new GeometricMedian());
        assertThat(Aggregations.parse("fedavgm")).isEqualTo(ServerOptimiser.fedAvgM(1.0, 0.9));
        assertThat(Aggregations.parse("FEDADAM")).isEqualTo(ServerOptimiser.fedAdam(0.01, 0.9, 0.99, 1e-3));
        assertThat(Aggregations.parse("fedyogi")).isEqualTo(ServerOptimiser.fedYogi(0.01, 0.9, 0.99, 1e-3));
        assertThat(Aggregations.names()).isEqualTo("mean, coordmedian, trimmedmean, geomedian, fedavgm, fedadam or fedyogi");
    }

    @Test
    void objectsGiveTheirSettingsAndDefaultsForTheRest() {
        assertThat(Aggregations.parse(json("{\"strategy\": \"fedadam\", \"serverLr\": 0.05, \"tau\": 0.01}")))
                .isEqualTo(ServerOptimiser.fedAdam(0.05, 0.9, 0.99, 0.01));
        assertThat(Aggregations.parse(json("{\"strategy\": \"fedavgm\", \"momentum\": 0}")))
                .isEqualTo(ServerOptimiser.fedAvgM(1.0, 0));
        assertThat(Aggregations.parse(json("{\"strategy\": \"trimmedmean\", \"trim\": 3}"))).isEqualTo(new TrimmedMean(3));
        assertThat(Aggregations.parse(json("{\"strategy\": \"mean\"}"))).isEqualTo(new WeightedMean());
    }

    @Test
    void everyStrategyRoundTripsThroughJson() {
        List<Aggregation> all = List.of(new WeightedMean(), new CoordinateMedian(), new TrimmedMean(0), new TrimmedMean(5),
                new GeometricMedian(), ServerOptimiser.fedAvgM(0.3, 0.5), ServerOptimiser.fedAdam(0.02, 0.8, 0.999, 1e-4),
                ServerOptimiser.fedYogi(1e-3, 0, 0.9, 1));
        for (Aggregation a : all) {
            assertThat(Aggregations.parse(a.toJson())).as(a.describe()).isEqualTo(a);
            assertThat(Aggregations.parse(json(a.toJson().toString()))).as(a.describe()).isEqualTo(a);
            assertThat(a.toJson().get("strategy").getAsString()).isEqualTo(a.name());
        }
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertThatThrownBy(() -> Aggregations.parse("average")).hasMessage("federation setting 'merge' must be one of "
                + "mean, coordmedian, trimmedmean, geomedian, fedavgm, fedadam or fedyogi, got 'average'");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"fedsgd\"}")))
                .hasMessageContaining("'merge.strategy'").hasMessageContaining("got 'fedsgd'");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"serverLr\": 0.1}")))
                .hasMessageContaining("'merge.strategy' is missing");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"fedadam\", \"momentum\": 0.9}")))
                .hasMessageContaining("unknown setting [momentum]").hasMessageContaining("merge");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"mean\", \"trim\": 1}")))
                .hasMessageContaining("unknown setting [trim]");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"fedadam\", \"serverLr\": 50}")))
                .hasMessage("federation setting 'merge.serverLr' must be in (0, 10], got 50.0");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"fedyogi\", \"beta2\": 1}")))
                .hasMessage("federation setting 'merge.beta2' must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"fedadam\", \"tau\": 0}")))
                .hasMessage("federation setting 'merge.tau' must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"fedavgm\", \"momentum\": 1}")))
                .hasMessage("federation setting 'merge.momentum' must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"trimmedmean\", \"trim\": 65}")))
                .hasMessage("federation setting 'merge.trim' must be in 0..64, got 65");
        assertThatThrownBy(() -> Aggregations.parse(json("{\"strategy\": \"fedadam\", \"beta1\": \"high\"}")))
                .hasMessageContaining("merge.beta1").hasMessageContaining("must be a number");
        assertThatThrownBy(() -> Aggregations.parse(json("3"))).hasMessageContaining("federation setting 'merge'");
        assertThatThrownBy(() -> new ServerOptimiser(ServerOptimiser.Kind.FEDAVGM, 1, 0.9, 0.9, 0, 0))
                .hasMessage("federation setting 'merge.beta1' does not apply to fedavgm, got 0.9");
    }

    @Test
    void badInputIsRefusedNamingTheSite() {
        float[] global = new float[4];
        SiteUpdate a = new SiteUpdate("site-a", new float[4], 1);
        for (Aggregation s : List.of(new WeightedMean(), new TrimmedMean(1), ServerOptimiser.defaults(ServerOptimiser.Kind.FEDADAM))) {
            AggregationState start = s.initialState(4);
            assertThatThrownBy(() -> s.aggregate(0, global, List.of(a, new SiteUpdate("site-b", new float[5], 1)), start))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("update of site-b has 5 values, the global weights 4");
            assertThatThrownBy(() -> s.aggregate(0, global, List.of(), start)).hasMessageContaining("no site updates");
        }
        assertThatThrownBy(() -> new WeightedMean().aggregate(0, global, List.of(a, new SiteUpdate("site-b", new float[4], -1)),
                AggregationState.EMPTY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("weight of site-b must be finite and >= 0, got -1.0");
        assertThatThrownBy(() -> new SiteUpdate("site-c", new float[4], Double.NaN))
                .hasMessage("weight of site-c must be finite and >= 0, got NaN");
        assertThatThrownBy(() -> new SiteUpdate("site-c", new float[4], Double.POSITIVE_INFINITY))
                .hasMessageContaining("site-c");
    }

    @Test
    void aStateThatDoesNotFitIsRefused() {
        float[] global = new float[4];
        List<SiteUpdate> one = List.of(new SiteUpdate("site-a", new float[4], 1));
        ServerOptimiser adam = ServerOptimiser.defaults(ServerOptimiser.Kind.FEDADAM);
        ServerOptimiser momentum = ServerOptimiser.defaults(ServerOptimiser.Kind.FEDAVGM);
        assertThatThrownBy(() -> adam.aggregate(0, global, one, momentum.initialState(4)))
                .hasMessage("fedadam needs a state of 2 buffers of 4 values, got buffers of lengths [4]"
                        + " (start from its initialState)");
        assertThatThrownBy(() -> momentum.aggregate(0, global, one, momentum.initialState(3)))
                .hasMessageContaining("fedavgm needs a state of 1 buffer of 4 values").hasMessageContaining("[3]");
        assertThatThrownBy(() -> new CoordinateMedian().aggregate(0, global, one, adam.initialState(4)))
                .hasMessageContaining("coordmedian keeps no state buffers");
        assertThat(adam.initialState(4).fits(4, 2)).isTrue();
        assertThat(adam.initialState(4).fits(5, 2)).isFalse();
        assertThatThrownBy(() -> new AggregationState(-1, List.of())).hasMessageContaining("rounds");
    }

    private static com.google.gson.JsonElement json(String text) {
        return JsonParser.parseString(text);
    }
}
