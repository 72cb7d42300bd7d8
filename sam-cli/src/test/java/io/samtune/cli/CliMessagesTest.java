package io.samtune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Mistyped commands, options and values get one line in the user's words, with the nearest name. */
class CliMessagesTest {

    record Result(int exit, String err) {
    }

    static Result run(String... args) {
        StringWriter err = new StringWriter();
        int exit = Samtune.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        return new Result(exit, err.toString());
    }

    @Test
    void aMistypedCommandOrOptionGetsTheNearestName() {
        Result command = run("trian");
        assertThat(command.exit()).isEqualTo(2);
        assertThat(command.err()).contains("did you mean").contains("train");
        Result option = run("train", "--epoch", "3");
        assertThat(option.exit()).isEqualTo(2);
        assertThat(option.err()).contains("'--epoch'").contains("did you mean").contains("--epochs");
    }

    @Test
    void aBadValueIsSaidWithoutJava() {
        Result prompt = run("train", "--prompt", "boxes");
        assertThat(prompt.exit()).isEqualTo(2);
        assertThat(prompt.err()).contains("unknown prompt 'boxes': use box, point or box+point")
                .doesNotContain("java.lang").doesNotContain("Exception").doesNotContain("cannot convert");
        Result window = run("train", "--window", "wide");
        assertThat(window.err()).contains("window must be 'minmax'").doesNotContain("java.lang");
    }

    @Test
    void anEncoderFoundDamagedWhenFirstNeededIsOneLineInEveryCommand(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path bad = io.samtune.core.Reference.damagedEncoder(tmp);
        String config = io.samtune.core.Reference.file("tiny-sam-config.json").toString();
        String slice = io.samtune.data.Fixtures.demo().resolve("1.mat").toString();
        Result predict = run("predict", "--image", slice, "--box", "250,100,340,190", "--checkpoint", bad.toString(),
                "--config", config, "--device", "cpu", "--out", tmp.resolve("p.npz").toString());
        Result score = run("test-accuracy", "--data", io.samtune.data.Fixtures.demo().toString(), "--checkpoint",
                bad.toString(), "--config", config, "--device", "cpu", "--cache", tmp.resolve("cache").toString(),
                "--out", tmp.resolve("report").toString());
        for (Result r : new Result[] {predict, score}) {
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("error: " + bad).contains("image_encoder.").doesNotContain("Exception")
                    .doesNotContain("\tat ");
        }
    }
}
