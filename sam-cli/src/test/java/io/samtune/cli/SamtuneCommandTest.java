package io.samtune.cli;

import io.samtune.data.CommandResult;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.data.Fixtures;
import org.junit.jupiter.api.Test;

/** The command line as a whole: every command is reachable, and the benchmark runs with tiny sizes. */
class SamtuneCommandTest {

    static CommandResult run(String... args) {
        return CommandResult.of(Samtune::run, args);
    }

    @Test
    void listsEveryCommand() {
        CommandResult help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("train").contains("test-accuracy").contains("dataset-info").contains("predict")
                .contains("benchmark").contains("shell").contains("classpath").contains("cache").contains("certs");
        CommandResult shellHelp = run("shell", "--help");
        assertThat(shellHelp.exit()).isZero();
        assertThat(shellHelp.out()).contains("FILE.jsh");
        CommandResult none = run();
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("missing command");
    }

    @Test
    void benchmarkRunsWithTinySizes() {
        CommandResult r = run("benchmark", "--model", Fixtures.root().resolve("testdata/reference/tiny-sam-config.json").toString(),
                "--repeat", "1", "--threads", "1", "--device", "cpu", "--data", Fixtures.demo().toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonObject o = JsonParser.parseString(r.out().trim()).getAsJsonObject();
        assertThat(o.keySet()).containsExactly("encoder_s", "decoder_train_step_s", "uncached_step_s",
                "mat_load_ms_per_file", "federated_round_s", "decoder_mb", "dp_step_1_worker_s", "dp_step_2_workers_s", "dp_allreduce_2_workers_s", "cache_fill_1_shard_slices_per_s", "cache_fill_2_shards_slices_per_s",
                "threads", "device", "model", "djl", "libtorch");
        assertThat(o.get("encoder_s").getAsDouble()).isPositive();
        assertThat(o.get("decoder_train_step_s").getAsDouble()).isPositive();
        assertThat(o.get("uncached_step_s").getAsDouble()).isPositive();
        assertThat(o.get("mat_load_ms_per_file").getAsDouble()).isPositive();
        assertThat(o.get("federated_round_s").getAsDouble()).isPositive();
        assertThat(o.get("dp_step_2_workers_s").getAsDouble()).isPositive();
        assertThat(o.get("dp_allreduce_2_workers_s").getAsDouble()).isPositive();
        assertThat(o.get("cache_fill_1_shard_slices_per_s").getAsDouble()).isPositive();
        assertThat(o.get("cache_fill_2_shards_slices_per_s").getAsDouble()).isPositive();
        assertThat(o.get("decoder_mb").getAsDouble()).isEqualTo(0.1624); // the tiny decoder: 40,608 float32 values
        assertThat(o.get("threads").getAsInt()).isEqualTo(1);
        assertThat(o.get("device").getAsString()).isEqualTo("cpu");
        assertThat(o.get("libtorch").getAsString()).isEqualTo("2.7.1");

        CommandResult bad = run("benchmark", "--model", "vit_q");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown SAM model 'vit_q'");
    }
}
