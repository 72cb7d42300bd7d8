package io.samtune.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rank and world size: flags, then torchrun's variables, then SLURM's, then one process. */
class LaunchTest {

    @Test
    void flagsThenTorchrunThenSlurm() {
        Map<String, String> both = Map.of("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK", "1", "SLURM_PROCID", "5",
                "SLURM_NTASKS", "6", "SLURM_LOCALID", "2");
        assertThat(Launch.resolve(1, 2, both)).isEqualTo(new Launch(1, 2, 1, "--rank/--world-size"));
        assertThat(Launch.resolve(null, null, both)).isEqualTo(new Launch(3, 8, 1, "RANK/WORLD_SIZE"));
        assertThat(Launch.resolve(null, null, Map.of("SLURM_PROCID", "5", "SLURM_NTASKS", "6", "SLURM_LOCALID", "2")))
                .isEqualTo(new Launch(5, 6, 2, "SLURM_PROCID/SLURM_NTASKS"));
        assertThat(Launch.resolve(null, null, Map.of())).isEqualTo(Launch.single());
        assertThat(new Launch(12, 16, 4, "x").memberName()).isEqualTo("rank-0012");
    }

    @Test
    void inconsistentNumbersAreRefusedByName() {
        assertThatThrownBy(() -> Launch.resolve(2, null, Map.of())).hasMessageContaining("--rank and --world-size together");
        assertThatThrownBy(() -> Launch.resolve(null, null, Map.of("RANK", "1"))).hasMessageContaining("WORLD_SIZE");
        assertThatThrownBy(() -> Launch.resolve(null, null, Map.of("RANK", "x", "WORLD_SIZE", "2")))
                .hasMessageContaining("RANK must be a whole number");
        assertThatThrownBy(() -> Launch.resolve(4, 4, Map.of())).hasMessageContaining("rank must be 0..3");
    }
}
