package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.core.config.DataConfig;
import io.samtune.core.image.IntensityWindow;
import io.samtune.data.DataSplit;
import io.samtune.data.Fixtures;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One consistent checkpoint, whatever instant a run is killed at; a run folder belongs to one run. */
class RunFolderTest {

    @TempDir
    Path tmp;

    /** Validation Dice per epoch: epoch 2 is the best, so later epochs must leave decoder-best alone. */
    static final double[] DICE = {0.30, 0.50, 0.40, 0.45};

    /** A kill: an Error, so no listener's onStop runs, as after SIGKILL. */
    static final class Kill extends Error {
        Kill() {
            super("killed", null, false, false);
        }
    }

    private static TrainingConfig config() {
        return TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(3e-3).optBatchSize(4).build())
                .optSchedule(ScheduleConfig.builder().optEpochs(DICE.length).build())
                .optRun(RunConfig.builder().optSeed(9).optCheckpointEvery(2).build()).build();
    }

    /** Runs (or resumes) into {@code dir}; {@code events} sees each file event. */
    private void train(Path dir, boolean resume, java.util.function.Consumer<String> events) throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, config())) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).build());
            data.warmCache(model.manager(), null);
            int[] epoch = {0};
            trainer.addListener(TrainingListener.onStep(run -> epoch[0] = run.epoch()));
            RunDirectory run = new RunDirectory(dir);
            run.onFileEvent(events);
            trainer.fit(data, () -> DICE[epoch[0]], run, resume);
        }
    }

    private static Map<String, float[]> tensors(Path file) throws Exception {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch"); StateDict d = SamCheckpoint.load(file, m)) {
            d.tensors().forEach((k, v) -> out.put(k, v.toFloatArray()));
        }
        return out;
    }

    private static void assertSameTensors(Path a, Path b) throws Exception {
        Map<String, float[]> x = tensors(a);
        Map<String, float[]> y = tensors(b);
        assertThat(y.keySet()).as(b.toString()).isEqualTo(x.keySet());
        x.forEach((k, v) -> {
            double d = 0;
            for (int i = 0; i < v.length; i++) {
                d = Math.max(d, Math.abs(v[i] - y.get(k)[i]));
            }
            assertThat(d).as("%s %s", b.getFileName(), k).isLessThanOrEqualTo(1e-5);
        });
    }

    private static void assertSameMetrics(RunDirectory a, RunDirectory b, String why) throws Exception {
        List<JsonObject> x = a.readMetrics();
        List<JsonObject> y = b.readMetrics();
        assertThat(y).as(why).hasSameSizeAs(x);
        for (int i = 0; i < x.size(); i++) {
            assertThat(y.get(i).keySet()).as(why + " line " + (i + 1)).isEqualTo(x.get(i).keySet());
            for (String k : x.get(i).keySet()) {
                assertThat(y.get(i).get(k).getAsDouble()).as(why + " line " + (i + 1) + " " + k)
                        .isCloseTo(x.get(i).get(k).getAsDouble(), org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    @Test
    void aKillAtAnyFileEventOfACheckpointResumesToTheSameFiles() throws Exception {
        Path full = tmp.resolve("full");
        List<String> events = new ArrayList<>();
        train(full, false, events::add);
        RunDirectory a = new RunDirectory(full);
        assertThat(tensors(a.file(RunDirectory.DECODER_BEST)).keySet()).isNotEmpty();

        // a best epoch end (decoder-best, decoder-last, state), the last epoch end (not best), one
        // mid-epoch checkpoint, and one step line and one epoch line of the metrics
        List<Integer> kills = new ArrayList<>();
        int bestSeen = 0;
        int lastSeen = 0;
        int metricsSeen = 0;
        for (int i = 0; i < events.size(); i++) {
            String e = events.get(i);
            if (e.equals(RunDirectory.DECODER_BEST) && ++bestSeen == 2) {
                kills.addAll(List.of(i, i + 1, i + 2));
            } else if (e.equals(RunDirectory.DECODER_LAST) && ++lastSeen == 3 && !kills.contains(i)) {
                kills.addAll(List.of(i, i + 1));
            } else if (e.equals(RunDirectory.METRICS) && (++metricsSeen == 5 || metricsSeen == 8)) {
                kills.add(i);
            }
        }
        kills.addAll(List.of(events.size() - 2, events.size() - 1));
        kills = kills.stream().distinct().sorted().toList();
        assertThat(events).contains(RunDirectory.DECODER_BEST, RunDirectory.DECODER_LAST, RunDirectory.STATE);
        for (int k : kills) {
            Path dir = tmp.resolve("killed-" + k);
            int[] n = {0};
            try {
                train(dir, false, name -> {
                    if (n[0]++ == k) {
                        throw new Kill();
                    }
                });
            } catch (Kill expected) {
                // as after SIGKILL at that instant
            }
            String why = "killed before event " + k + " (" + events.get(k) + ")";
            RunDirectory b = new RunDirectory(dir);
            if (!b.hasState()) {
                if (b.holdsTraining()) {
                    // killed inside the first checkpoint: decoders but no state; nothing to resume, and a fresh start
                    // does not overwrite them
                    assertThatThrownBy(() -> train(dir, false, e -> { })).as(why)
                            .hasMessageContaining("holds decoder files but no " + RunDirectory.STATE)
                            .hasMessageContaining("move them away");
                    continue;
                }
                // killed before the first checkpoint: only steps were logged; a fresh start takes the folder over
                // and ends as the run that was never killed, its metrics its own
                train(dir, false, e -> { });
                assertSameTensors(a.file(RunDirectory.DECODER_LAST), b.file(RunDirectory.DECODER_LAST));
                assertSameMetrics(a, b, why);
                continue;
            }
            Files.writeString(dir.resolve("." + RunDirectory.STATE + ".123.tmp"), "left by a killed write");
            train(dir, true, e -> { });
            assertSameTensors(a.file(RunDirectory.DECODER_LAST), b.file(RunDirectory.DECODER_LAST));
            assertSameTensors(a.file(RunDirectory.DECODER_BEST), b.file(RunDirectory.DECODER_BEST));
            assertSameMetrics(a, b, why);
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).as(why).noneMatch(f -> f.endsWith(".tmp"));
            }
        }
    }

    @Test
    void aRunFolderBelongsToOneRun() throws Exception {
        Path dir = tmp.resolve("run");
        Files.createDirectories(dir);
        // steps logged but never checkpointed (a start killed early): a fresh start takes the folder over
        Path early = tmp.resolve("killed-early");
        Files.createDirectories(early);
        Files.writeString(early.resolve(RunDirectory.METRICS), "{\"step\":1,\"loss\":0.5,\"stale\":true}\n");
        Files.writeString(early.resolve("events.out.tfevents.1.samtune"), "stale");
        train(early, false, e -> { });
        org.assertj.core.api.Assertions.assertThat(Files.readString(early.resolve(RunDirectory.METRICS)))
                .doesNotContain("stale");
        org.assertj.core.api.Assertions.assertThat(early.resolve("events.out.tfevents.1.samtune")).doesNotExist();

        Files.writeString(dir.resolve(RunDirectory.DECODER_LAST), "decoder");
        assertThatThrownBy(() -> train(dir, false, e -> { })).hasMessageContaining("holds decoder files but no");
        Files.writeString(dir.resolve(RunDirectory.STATE), "state");
        assertThatThrownBy(() -> train(dir, false, e -> { })).hasMessageContaining("already holds a training run");

        // a start that failed before training (run.json and a lock file, no state): resume says what to do, and a
        // fresh start takes the folder over
        Path failed = tmp.resolve("failed-start");
        Files.createDirectories(failed);
        Files.writeString(failed.resolve(RunDirectory.RUN), "{\"settings\": {}}");
        Files.writeString(failed.resolve(".lock"), "");
        assertThatThrownBy(() -> train(failed, true, e -> { })).hasMessageContaining("nothing to resume in " + failed)
                .hasMessageContaining("start it again without --resume");
        train(failed, false, e -> { });
        org.assertj.core.api.Assertions.assertThat(failed.resolve(RunDirectory.STATE)).isRegularFile();

        Path linked = tmp.resolve("linked");
        Files.createDirectories(linked);
        Path target = tmp.resolve("elsewhere.jsonl");
        Files.writeString(target, "");
        Files.createSymbolicLink(linked.resolve(RunDirectory.METRICS), target);
        assertThatThrownBy(() -> train(linked, false, e -> { })).hasMessageContaining("symbolic link");
        org.assertj.core.api.Assertions.assertThat(target).exists();
        Files.delete(linked.resolve(RunDirectory.METRICS));
        Files.createSymbolicLink(linked.resolve(RunDirectory.METRICS), target);
        RunDirectory run = new RunDirectory(linked);
        JsonObject line = new JsonObject();
        line.addProperty("step", 1);
        assertThatThrownBy(() -> run.appendMetric(line)).hasMessageContaining("symbolic link");
        try (AutoCloseable held = run.lock()) {
            Throwable[] seen = new Throwable[1];
            Thread other = new Thread(() -> {
                try {
                    new RunDirectory(linked).lock().close();
                } catch (Exception e) {
                    seen[0] = e;
                }
            });
            other.start();
            other.join();
            assertThat(seen[0]).isInstanceOf(RunFolderInUseException.class).hasMessageContaining("in use by another run");
            assertThatThrownBy(run::lock).as("a folder is taken once, by one hold")
                    .isInstanceOf(RunFolderInUseException.class).hasMessageContaining("in use by another run in this process");
            assertThat(Files.readString(linked.resolve(RunDirectory.LOCK)).strip())
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
        }
        assertThat(Files.size(target)).as("nothing written through the link").isZero();
    }

    @Test
    void aCorruptOrIncompleteStateIsRefused() throws Exception {
        Path dir = tmp.resolve("run");
        train(dir, false, e -> { });
        Path state = dir.resolve(RunDirectory.STATE);
        byte[] original = Files.readAllBytes(state);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.seek(f.length() - 10); // inside the last tensor's values
            f.write(new byte[] {1, 2, 3, 4});
        }
        assertThatThrownBy(() -> train(dir, true, e -> { })).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(state.toString()).hasMessageContaining("corrupt");

        Files.write(state, original);
        TrainingConfig shorter = config().toBuilder().optSchedule(ScheduleConfig.builder().optMaxSteps(2).build()).build();
        DataSplit split = DecoderTrainerTest.phantomSplit();
        try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, shorter)) {
            EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
            SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                    DataConfig.builder().setFolder(Fixtures.phantoms()).build());
            assertThatThrownBy(() -> trainer.fit(data, null, new RunDirectory(dir), true))
                    .hasMessageContaining("outside this run's 2 steps");
        }
    }

    @Test
    void checkpointSecondsSavesMidEpochWhenTimeHasPassed() throws Exception {
        DataSplit split = DecoderTrainerTest.phantomSplit();
        for (int seconds : new int[] {0, 1}) {
            TrainingConfig config = TrainingConfig.builder()
                    .optOptimization(OptimizationConfig.builder().optLearningRate(3e-3).optBatchSize(4).build())
                    .optSchedule(ScheduleConfig.builder().optEpochs(1).build())
                    .optRun(RunConfig.builder().optCheckpointSeconds(seconds).build()).build();
            List<String> events = new ArrayList<>();
            try (SamModel model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, config)) {
                EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"), model, IntensityWindow.minMax(), true);
                SliceTrainingData data = new SliceTrainingData(split.train(), cache,
                        DataConfig.builder().setFolder(Fixtures.phantoms()).build());
                // the first step takes over a second: time for a checkpoint by the clock
                trainer.addListener(TrainingListener.onStep(run -> {
                    if (run.step() == 1) {
                        try {
                            Thread.sleep(1100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }));
                RunDirectory run = new RunDirectory(tmp.resolve("seconds-" + seconds));
                run.onFileEvent(events::add);
                trainer.fit(data, null, run, false);
            }
            long states = events.stream().filter(RunDirectory.STATE::equals).count();
            assertThat(states).as("training-state writes with --checkpoint-seconds %d", seconds)
                    .isEqualTo(seconds == 0 ? 1 : 2);
        }
    }
}
