package io.samtune.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every {@code ./samtune} line of {@code docs/adapters.md} as written, on the bundled tiny SAM and demo slices. */
class AdapterDocsTest {

    @TempDir
    Path tmp;

    @Test
    void everyCommandOnThePageRuns() throws Exception {
        List<String> outs = OwnDataDocsTest.runEveryCommand("docs/adapters.md", tmp, 5);
        assertThat(outs.get(0)).contains("the tokens entering block 1");
        assertThat(outs.get(1)).contains("adapters LoRA[rank 4, alpha 8, blocks 2, targets q,v] on blocks [1, 2]");
        assertThat(tmp.resolve("runs/lora/decoder-best.safetensors")).isRegularFile();
        assertThat(tmp.resolve("runs/lora-report/per-slice.csv")).isRegularFile();
        assertThat(tmp.resolve("runs/lora-mask.png")).isRegularFile();
        assertThat(tmp.resolve("runs/lora-sam.pth")).isRegularFile();
    }
}
