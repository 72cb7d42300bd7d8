package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The progress line: count, rate and the time left at that rate. */
class CounterTest {

    @Test
    void showsTheRateAndTheTimeLeft() {
        assertThat(Counter.line("encoding slices", 0, 3064, 0).trim()).isEqualTo("encoding slices: 0/3064");
        assertThat(Counter.line("encoding slices", 10, 3064, 100).trim())
                .isEqualTo("encoding slices: 10/3064, 0.100/s, 8 h 29 min left");
        assertThat(Counter.line("scoring", 30, 60, 10).trim()).isEqualTo("scoring: 30/60, 3.0/s, 10 s left");
        assertThat(Counter.line("scoring", 60, 60, 20).trim()).isEqualTo("scoring: 60/60, 3.0/s");
        assertThat(Counter.duration(425)).isEqualTo("7 min 5 s");
        // padded, so that a shorter line drawn over a longer one leaves nothing behind
        assertThat(Counter.line("x", 1, 2, 1)).hasSize(41);
    }
}
