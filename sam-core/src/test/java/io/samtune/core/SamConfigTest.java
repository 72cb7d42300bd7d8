package io.samtune.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamConfigTest {

    @TempDir
    Path tmp;

    @Test
    void presetsHaveTheOfficialSizes() {
        assertThat(SamConfig.named("vit_b").encoderEmbedDim()).isEqualTo(768);
        assertThat(SamConfig.named("vit_l").encoderGlobalAttnIndexes()).containsExactly(5, 11, 17, 23);
        assertThat(SamConfig.named("vit_h").encoderDepth()).isEqualTo(32);
        assertThat(SamConfig.vitB().embeddingSize()).isEqualTo(64);
        assertThat(SamConfig.vitB().lowResMaskSize()).isEqualTo(256);
        assertThatThrownBy(() -> SamConfig.named("vit_x")).hasMessageContaining("use vit_b, vit_l, vit_h");
        assertThat(SamConfig.vitB().decoderShapes()).hasSize(SamConfig.vitH().decoderShapes().size());
        assertThat(SamConfig.vitB().expectedShapes().keySet()).first().isEqualTo("image_encoder.pos_embed");
    }

    @Test
    void jsonRoundTripAndErrors() throws Exception {
        SamConfig tiny = SamConfig.fromJson(Reference.file("tiny-sam-config.json"));
        assertThat(tiny.imageSize()).isEqualTo(128);
        assertThat(tiny.decoderNumHeads()).isEqualTo(4);
        Path p = tmp.resolve("c.json");
        Files.writeString(p, tiny.toJson().toString());
        assertThat(SamConfig.fromJson(p)).isEqualTo(tiny);

        JsonObject typo = tiny.toJson();
        typo.addProperty("image_sise", 3);
        Files.writeString(p, typo.toString());
        assertThatThrownBy(() -> SamConfig.fromJson(p)).hasMessageContaining("c.json").hasMessageContaining(
                "unknown key 'image_sise'");
        JsonObject missing = tiny.toJson();
        missing.remove("window_size");
        Files.writeString(p, missing.toString());
        assertThatThrownBy(() -> SamConfig.fromJson(p)).hasMessageContaining("missing key 'window_size'");
        assertThatThrownBy(() -> tiny.toBuilder().optPatchSize(15).build()).hasMessageContaining("multiple of patchSize");
        assertThat(tiny.toString()).contains("image 128").contains("decoder 2 layers x 4 heads");
    }

    @Test
    void inferredFromARandomVitB() {
        SamConfig small = SamConfig.vitB().toBuilder().optImageSize(256).optEncoderDepth(2)
                .optEncoderGlobalAttnIndexes(java.util.List.of(1)).optWindowSize(7).build();
        try (SamModel m = SamModel.random(small, 3, Device.cpu())) {
            assertThat(SamConfig.inferFrom(m.weights())).isEqualTo(small);
        }
    }
}
