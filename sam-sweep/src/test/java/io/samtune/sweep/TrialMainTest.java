package io.samtune.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.core.config.DataConfig;
import io.samtune.core.config.ModelConfig;
import io.samtune.core.io.JavaProcess;
import io.samtune.train.RunDirectory;
import io.samtune.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trial whose folder another process still trains in, or whose sweep has already ended, leaves
 * the folder as it was: no status, no checkpoint, and an exit code the sweep tells apart.
 */
class TrialMainTest {

    @TempDir
    Path tmp;

    private Path sweep() throws Exception {
        Path spec = tmp.resolve("spec.json");
        String base = TrainingConfig.builder().optData(DataConfig.builder().setFolder(tmp.resolve("data")).build())
                .optModel(ModelConfig.builder().setCheckpoint(tmp.resolve("sam.pth")).build()).build().toJson().toString();
        Files.writeString(spec, SweepSpecTest.spec(base));
        Path folder = tmp.resolve("sweep");
        Sweep.create(spec, folder, false);
        return folder;
    }

    @Test
    void aFolderInUseIsLeftAloneAndReportedBusy() throws Exception {
        Path folder = sweep();
        Path trial = folder.resolve("trial-000");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            try (AutoCloseable lock = new RunDirectory(trial).lock()) {
                held.countDown();
                done.await(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        other.start();
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
        try {
            assertThat(TrialMain.run(folder, 0, null, false)).isEqualTo(TrialMain.BUSY);
            assertThat(trial.resolve(TrialMain.STATUS)).doesNotExist();
            assertThat(new RunDirectory(trial).hasState()).isFalse();
        } finally {
            done.countDown();
            other.join();
        }
    }

    @Test
    void aTrialStartedAfterItsSweepDiedDoesNothing() throws Exception {
        Path folder = sweep();
        Process gone = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("version.log").toFile()).start();
        assertThat(gone.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> cmd = JavaProcess.command(Map.of(TrialMain.SWEEP_PID, Long.toString(gone.pid())), TrialMain.class,
                folder.toString(), "1");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("trial.log").toFile()).start();
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("trial.log"))).isEqualTo(143);
        assertThat(Files.readString(tmp.resolve("trial.log"))).contains("the sweep that started it has ended");
        Path trial = folder.resolve("trial-001");
        assertThat(trial.resolve(TrialMain.STATUS)).doesNotExist();
        assertThat(new RunDirectory(trial).hasState()).isFalse();
    }
}
