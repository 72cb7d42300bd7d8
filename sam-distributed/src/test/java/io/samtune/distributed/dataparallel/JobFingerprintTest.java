package io.samtune.distributed.dataparallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.samtune.train.TrainingStrategy;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Settings that must agree are compared by name; paths, devices and checkpoint cadence may differ. */
class JobFingerprintTest {

    private static JsonObject provenance(double lr, String folder, String device, String trainSha) {
        JsonObject p = JsonParser.parseString("""
                {"samtune": "0.1.0", "checkpointSha256": "abc", "model": {"imageSize": 64},
                 "settings": {"optimization": {"learningRate": %s, "batchSize": 3},
                              "model": {"checkpoint": "/n%s/sam.pth", "devices": ["%s"], "useCache": true},
                              "data": {"folder": "%s", "boxJitter": 3},
                              "run": {"seed": 11, "checkpointEvery": 5}}}
                """.formatted(lr, device, device, folder)).getAsJsonObject();
        JsonArray train = new JsonArray();
        JsonObject f = new JsonObject();
        f.addProperty("file", "1.mat");
        f.addProperty("sha256", trainSha);
        train.add(f);
        p.add("train", train);
        p.add("validation", new JsonArray());
        return p;
    }

    private static JobFingerprint of(JsonObject provenance, boolean resume, int world) {
        return JobFingerprint.of(new TrainingStrategy.Context(null, null, null, provenance, null, 1, 0, resume), world);
    }

    @Test
    void pathsAndDevicesMayDifferButSettingsDataAndWorldMayNot() {
        JobFingerprint a = of(provenance(3e-3, "/data/a", "gpu:0", "s1"), false, 2);
        assertThat(a.differences(of(provenance(3e-3, "/mnt/b", "gpu:1", "s1"), false, 2))).isEmpty();
        assertThat(a.differences(of(provenance(1e-3, "/data/a", "gpu:0", "s1"), false, 2)))
                .containsExactly("optimization.learningRate is 0.001 there, 0.003 here");
        assertThat(a.differences(of(provenance(3e-3, "/data/a", "gpu:0", "s2"), true, 3)))
                .hasSize(3).anyMatch(d -> d.startsWith("train part is 1 files"))
                .contains("resume is true there, false here", "world size is 3 there, 2 here");
        assertThat(a.entries()).containsKeys("base checkpoint (SHA-256)", "model sizes", "run.seed", "model.useCache",
                "test part").doesNotContainKeys("model.devices", "data.folder", "run.checkpointEvery",
                "model.checkpoint");
    }

    @Test
    void itTravelsAsJsonAndAnUnreadableOneIsRefused() {
        JobFingerprint a = of(provenance(3e-3, "/data/a", "cpu", "s1"), false, 2);
        assertThat(JobFingerprint.fromJson(a.toJson())).isEqualTo(a);
        assertThat(JobFingerprint.fromJson("{\"only\": \"x\"}").differences(a)).contains("only is (not set) there, x here");
        assertThatThrownBy(() -> JobFingerprint.fromJson("[1]")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a job fingerprint");
    }

    @Test
    void theGroupComesFromTheRunFolder() {
        String a = DataParallel.groupOf("samtune-dp", Path.of("/runs/a b"));
        assertThat(a).matches("samtune-dp-a_b-[0-9a-f]{8}");
        assertThat(DataParallel.groupOf("samtune-dp", Path.of("/runs/x/../a b"))).isEqualTo(a);
        assertThat(DataParallel.groupOf("samtune-dp", Path.of("/other/a b"))).isNotEqualTo(a);
    }
}
