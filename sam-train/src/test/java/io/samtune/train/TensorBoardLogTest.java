package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The events file parses back as TFRecords of Event protos with the run's scalars. */
class TensorBoardLogTest {

    @TempDir
    Path tmp;

    record Scalar(long step, String tag, float value) {
    }

    /** Reads every scalar of an events file, checking both CRCs of every record. */
    static List<Scalar> read(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Scalar> out = new ArrayList<>();
        int records = 0;
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            assertThat(b.getInt()).as("length CRC").isEqualTo(TensorBoardLog.maskedCrc(len, 0, 8));
            byte[] data = new byte[(int) ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            b.get(data);
            assertThat(b.getInt()).as("data CRC").isEqualTo(TensorBoardLog.maskedCrc(data, 0, data.length));
            records++;
            ByteBuffer e = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            long step = 0;
            String tag = null;
            Float value = null;
            while (e.hasRemaining()) {
                int key = e.get() & 0xff;
                switch (key) {
                    case 0x09 -> e.getDouble();
                    case 0x10 -> step = varint(e);
                    case 0x1a -> assertThat(new String(bytes(e), StandardCharsets.UTF_8)).isEqualTo("brain.Event:2");
                    case 0x2a -> {
                        ByteBuffer summary = ByteBuffer.wrap(bytes(e)).order(ByteOrder.LITTLE_ENDIAN);
                        assertThat(summary.get()).isEqualTo((byte) 0x0a);
                        ByteBuffer v = ByteBuffer.wrap(bytes(summary)).order(ByteOrder.LITTLE_ENDIAN);
                        assertThat(v.get()).isEqualTo((byte) 0x0a);
                        tag = new String(bytes(v), StandardCharsets.UTF_8);
                        assertThat(v.get()).isEqualTo((byte) 0x15);
                        value = v.getFloat();
                    }
                    default -> throw new AssertionError("unexpected field key " + key);
                }
            }
            if (tag != null) {
                out.add(new Scalar(step, tag, value));
            }
        }
        assertThat(records).isPositive();
        return out;
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        int shift = 0;
        byte x;
        do {
            x = b.get();
            v |= (long) (x & 0x7f) << shift;
            shift += 7;
        } while (x < 0);
        return v;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[(int) varint(b)];
        b.get(out);
        return out;
    }

    @Test
    void aRunsLossAndValidationReadBackFromTheEventsFile() throws Exception {
        RunDirectory run = new RunDirectory(tmp.resolve("run"));
        TrainingConfig config = TrainingConfig.builder()
                .optOptimization(OptimizationConfig.builder().optLearningRate(3e-3).optBatchSize(4).build())
                .optSchedule(ScheduleConfig.builder().optEpochs(2).build()).build();
        TensorBoardLog log = new TensorBoardLog(run.path());
        var split = DecoderTrainerTest.phantomSplit();
        try (var model = TinySamTrainReferenceTest.tinyModel(); DecoderTrainer trainer = new DecoderTrainer(model, config)) {
            var cache = new io.samtune.core.cache.EmbeddingCache(tmp.resolve("cache"), model,
                    io.samtune.core.image.IntensityWindow.minMax(), true);
            var data = new SliceTrainingData(split.train(), cache,
                    io.samtune.core.config.DataConfig.builder().setFolder(io.samtune.data.Fixtures.phantoms()).build());
            trainer.addListener(log);
            trainer.fit(data, () -> 0.25, run, false);
        }
        List<Scalar> scalars = read(log.file());
        List<com.google.gson.JsonObject> metrics = run.readMetrics();
        List<Scalar> losses = scalars.stream().filter(s -> s.tag().equals("train/loss")).toList();
        List<com.google.gson.JsonObject> steps = metrics.stream().filter(o -> o.has("loss")).toList();
        assertThat(losses).hasSameSizeAs(steps);
        for (int i = 0; i < steps.size(); i++) {
            assertThat(losses.get(i).step()).isEqualTo(steps.get(i).get("step").getAsLong());
            assertThat(losses.get(i).value()).isEqualTo(steps.get(i).get("loss").getAsFloat());
        }
        assertThat(scalars.stream().filter(s -> s.tag().equals("val/dice")).map(Scalar::value)).containsExactly(0.25f,
                0.25f);
    }
}
