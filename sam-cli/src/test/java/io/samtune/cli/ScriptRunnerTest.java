package io.samtune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.data.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code samtune shell FILE.jsh}: the example notebook runs; a failing snippet fails the run. */
class ScriptRunnerTest {

    @TempDir
    Path tmp;

    record Result(int exit, String out, String err) {
    }

    static Result run(Path script) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ScriptRunner.run(script, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theExampleNotebookRuns() throws Exception {
        System.setProperty("samtune.root", Fixtures.root().toString());
        System.setProperty("samtune.keepExampleFiles", "true");
        Result r = run(Fixtures.root().resolve("examples/notebook.jsh"));
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out).contains("index ==> SliceIndex[").contains("slice ==> Sample[1.mat (v7.3), meningioma")
                .contains("model ==> SamModel[tiny-sam.pth").contains("prediction ==> Prediction[")
                .contains("before ==> CheckpointScores[before, 3 slices").contains("step 15 loss")
                .contains("result ==> TrainingResult[60 steps").contains("after ==> CheckpointScores[after")
                .contains("decoder and overlay in");
        String work = r.out.substring(r.out.indexOf("decoder and overlay in ") + 23).lines().findFirst().orElseThrow()
                .strip();
        assertThat(Path.of(work).resolve("decoder.safetensors")).isRegularFile();
        assertThat(Path.of(work).resolve("overlay.png")).isRegularFile();
        assertThat(r.out).doesNotContainPattern("@[0-9a-f]{6,}");
        // the run started from JShell wrote the same run.json as the command line: its settings read back equal
        assertThat(r.out).contains("run ==> TrainingResult[20 steps").containsPattern("\\$[0-9]+ ==> true");
        assertThat(Path.of(work).resolve("run/run.json")).isRegularFile();
        // adapters from JShell: a run that trains them, and a model that takes them back from its decoder file
        assertThat(r.out).contains("loraRun ==> TrainingResult[20 steps")
                .contains("==> LoRA[rank 4, alpha 8, blocks 2, targets q,v]");
    }

    @Test
    void aFailingSnippetStopsTheScript() throws Exception {
        Path throwing = Files.writeString(tmp.resolve("throws.jsh"),
                "int a = 1\nSliceIndex.scan(Path.of(\"/no/such/folder\"))\nSystem.out.println(\"not reached\")\n");
        Result t = run(throwing);
        assertThat(t.exit).isEqualTo(1);
        assertThat(t.err).contains("threw io.samtune.data.DatasetException").contains("/no/such/folder");
        assertThat(t.out).doesNotContain("not reached");

        Path broken = Files.writeString(tmp.resolve("broken.jsh"), "int a = \"text\"\n");
        Result b = run(broken);
        assertThat(b.exit).isEqualTo(1);
        assertThat(b.err).contains("does not compile").contains("incompatible types");

        assertThat(run(tmp.resolve("absent.jsh")).err).contains("not found");
    }
}
