package io.samtune.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.Shape;
import io.samtune.core.SamConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Adapter settings: which blocks, which tensors, and every refusal naming its option. */
class LoraConfigTest {

    static final SamConfig VIT_B = SamConfig.vitB();

    @Test
    void aCountMeansTheLastBlocksAndAListTheseBlocks() {
        assertThat(LoraConfig.lastBlocks(1).blockIndexes(VIT_B)).containsExactly(11);
        assertThat(LoraConfig.lastBlocks(3).blockIndexes(VIT_B)).containsExactly(9, 10, 11);
        assertThat(LoraConfig.lastBlocks(12).blockIndexes(VIT_B)).hasSize(12).startsWith(0);
        assertThat(LoraConfig.lastBlocks(12).firstBlock(VIT_B)).isZero();
        LoraConfig listed = new LoraConfig(4, 8, "11, 3,7,3", List.of("v", "Q"));
        assertThat(listed.blocks()).isEqualTo("11,3,7,3");
        assertThat(listed.blockIndexes(VIT_B)).containsExactly(3, 7, 11);
        assertThat(listed.firstBlock(VIT_B)).isEqualTo(3);
        assertThat(listed.targets()).containsExactly("q", "v");
        assertThat(new LoraConfig(4, 8, "0,11", List.of("q")).blockIndexes(VIT_B)).containsExactly(0, 11);
    }

    @Test
    void shapesAndNamesFollowTheReferenceLayout() {
        LoraConfig c = new LoraConfig(4, 8, "2", List.of("q", "k", "v"));
        Map<String, Shape> shapes = c.shapes(VIT_B);
        assertThat(shapes).hasSize(2 * 3 * 2);
        assertThat(shapes.keySet()).startsWith("image_encoder.blocks.10.attn.qkv.lora_q_A",
                "image_encoder.blocks.10.attn.qkv.lora_q_B", "image_encoder.blocks.10.attn.qkv.lora_k_A");
        assertThat(shapes.get("image_encoder.blocks.11.attn.qkv.lora_v_A")).isEqualTo(new Shape(4, 768));
        assertThat(shapes.get("image_encoder.blocks.11.attn.qkv.lora_v_B")).isEqualTo(new Shape(768, 4));
        assertThat(c.scale()).isEqualTo(2.0);
        assertThat(new LoraConfig(8, 4, "1", List.of("q")).scale()).isEqualTo(0.5);
        assertThat(LoraConfig.isAdapterName("image_encoder.blocks.3.attn.qkv.lora_k_B")).isTrue();
        assertThat(LoraConfig.isAdapterName("image_encoder.blocks.3.attn.qkv.weight")).isFalse();
        assertThat(LoraConfig.isAdapterName("image_encoder.blocks.x.attn.qkv.lora_q_A")).isFalse();
        assertThat(LoraConfig.isAdapterName("image_encoder.blocks.3.attn.qkv.lora_w_A")).isFalse();
    }

    @Test
    void badSettingsAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> new LoraConfig(0, 8, "2", List.of("q"))).hasMessage("--lora-rank must be at least 1, not 0");
        assertThatThrownBy(() -> new LoraConfig(-3, 8, "2", List.of("q"))).hasMessageContaining("--lora-rank");
        assertThatThrownBy(() -> new LoraConfig(4, 0, "2", List.of("q"))).hasMessageContaining("--lora-alpha");
        assertThatThrownBy(() -> new LoraConfig(4, Double.NaN, "2", List.of("q"))).hasMessageContaining("--lora-alpha");
        assertThatThrownBy(() -> new LoraConfig(4, Double.POSITIVE_INFINITY, "2", List.of("q")))
                .hasMessageContaining("--lora-alpha");
        assertThatThrownBy(() -> new LoraConfig(4, 8, "last", List.of("q"))).hasMessageContaining("--lora-blocks")
                .hasMessageContaining("'last'");
        assertThatThrownBy(() -> new LoraConfig(4, 8, "1,", List.of("q"))).hasMessageContaining("--lora-blocks");
        assertThatThrownBy(() -> new LoraConfig(4, 8, "99999999999", List.of("q"))).hasMessageContaining("--lora-blocks")
                .hasMessageContaining("not a block count or index");
        assertThatThrownBy(() -> new LoraConfig(4, 8, "0", List.of("q"))).hasMessageContaining("--lora-blocks 0");
        assertThatThrownBy(() -> new LoraConfig(4, 8, "2", List.of("x"))).hasMessageContaining("--lora-targets");
        assertThatThrownBy(() -> new LoraConfig(4, 8, "2", List.of())).hasMessageContaining("--lora-targets");
        assertThatThrownBy(() -> LoraConfig.lastBlocks(13).blockIndexes(VIT_B))
                .hasMessage("--lora-blocks 13 asks for more blocks than the encoder's 12; give 1 to 12 (the last K"
                        + " blocks) or indices from 0 to 11");
        assertThatThrownBy(() -> new LoraConfig(4, 8, "3,12", List.of("q")).blockIndexes(VIT_B))
                .hasMessageContaining("block 12 is outside the encoder, whose blocks are 0 to 11");
        assertThatThrownBy(() -> new LoraConfig(769, 8, "1", List.of("q")).blockIndexes(VIT_B))
                .hasMessageContaining("--lora-rank 769 is larger than the encoder's width 768");
        assertThat(new LoraConfig(768, 8, "1", List.of("q")).blockIndexes(VIT_B)).containsExactly(11);
        assertThat(LoraConfig.lastBlocks(12).blockIndexes(VIT_B)).hasSize(12);
    }

    @Test
    void jsonRoundTripsAndRefusesOtherKinds() {
        LoraConfig c = new LoraConfig(8, 16.5, "9,10,11", List.of("q", "k", "v"));
        assertThat(LoraConfig.fromJson(c.toJson())).isEqualTo(c);
        assertThat(c.toJson().get("kind").getAsString()).isEqualTo("lora");
        assertThat(LoraConfig.fromJson(com.google.gson.JsonParser.parseString("{}"))).isEqualTo(LoraConfig.lastBlocks(2));
        assertThat(LoraConfig.fromJson(com.google.gson.JsonParser.parseString("{\"blocks\": 3}")).blocks()).isEqualTo("3");
        assertThatThrownBy(() -> LoraConfig.fromJson(com.google.gson.JsonParser.parseString("{\"kind\": \"ia3\"}")))
                .hasMessageContaining("adapter.kind must be lora");
        assertThatThrownBy(() -> LoraConfig.fromJson(com.google.gson.JsonParser.parseString("{\"rnak\": 4}")))
                .hasMessageContaining("rnak");
        assertThatThrownBy(() -> LoraConfig.fromJson(com.google.gson.JsonParser.parseString("{\"targets\": \"q\"}")))
                .hasMessageContaining("adapter.targets must be a list");
        assertThatThrownBy(() -> LoraConfig.fromJson(com.google.gson.JsonParser.parseString("{\"targets\": [[\"q\"]]}")))
                .hasMessageContaining("adapter.targets must be a list");
        assertThatThrownBy(() -> LoraConfig.fromJson(com.google.gson.JsonParser.parseString("{\"blocks\": [11]}")))
                .hasMessageContaining("adapter.blocks must be");
        assertThat(c.toString()).isEqualTo("LoRA[rank 8, alpha 16.5, blocks 9,10,11, targets q,k,v]");
        assertThat(LoraConfig.lastBlocks(2).toString()).isEqualTo("LoRA[rank 4, alpha 8, blocks 2, targets q,v]");
    }
}
