package io.samtune.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The engine starts offline from the bundled libtorch and computes on the CPU. */
class EnginesTest {

    @Test
    void createsAnNdArrayOnTheCpu() {
        Engine engine = Engines.pytorch();
        assertThat(engine.getEngineName()).isEqualTo("PyTorch");
        assertThat(engine.getVersion()).isEqualTo("2.7.1");
        assertThat(Boolean.getBoolean("ai.djl.offline")).isTrue();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Engines.PYTORCH)) {
            NDArray a = manager.create(new float[] {1, 2, 3});
            NDArray b = a.mul(2).add(1);
            assertThat(b.getDevice()).isEqualTo(Device.cpu());
            assertThat(b.toFloatArray()).containsExactly(3f, 5f, 7f);
        }
    }

    @Test
    void devicesFromSpecs() {
        assertThat(Engines.device("cpu")).isEqualTo(Device.cpu());
        Device auto = Engines.device("auto");
        assertThat(auto).isEqualTo(Engines.pytorch().getGpuCount() > 0 ? Device.gpu(0) : Device.cpu());
        assertThatThrownBy(() -> Engines.device("tpu")).hasMessageContaining("use auto, cpu, gpu or gpu:N");
        assertThatThrownBy(() -> Engines.device("gpu:99")).hasMessageContaining("gpu:99 is not available");
    }
}
