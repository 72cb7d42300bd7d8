package io.samtune.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.samtune.core.checkpoint.StateDict;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The data-parallel strategy on its own, with the all-reduce played by the test: the gradients,
 * loss and samples go out as one float32 vector and come back summed into the gradients in place;
 * workers out of step are named; each worker's share of a call is contiguous and balanced.
 */
class AllReduceGradientsTest {

    private final NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");

    @AfterEach
    void close() {
        manager.close();
    }

    private TrainableParameters group() {
        StateDict d = new StateDict(manager);
        d.put("a", manager.zeros(new Shape(2, 2)));
        d.put("b", manager.zeros(new Shape(3)));
        TrainableParameters p = new TrainableParameters("test", d, List.of("a", "b"));
        // libtorch keeps a gradient once a backward pass made one: d(sum a + sum b) = ones
        try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
            gc.backward(p.arrays().get("a").sum().add(p.arrays().get("b").sum()));
        }
        assertThat(p.flattenGradients(0)).containsOnly(1f);
        p.overwriteGradients(new float[] {1, 2, 3, 4, 5, 6, 7});
        return p;
    }

    private static TrainingView atStep(long step) {
        return (TrainingView) Proxy.newProxyInstance(TrainingView.class.getClassLoader(),
                new Class<?>[] {TrainingView.class}, (p, m, a) -> m.getName().equals("step") ? step : null);
    }

    @Test
    void theGradientsLossAndSamplesAreSummedInPlace() {
        TrainableParameters p = group();
        List<float[]> sent = new ArrayList<>();
        long[] rounds = {-1};
        // the other worker contributed gradients of 0.5 each, loss 0.25 and 2 samples at the same step
        AllReduceGradients s = new AllReduceGradients((round, v) -> {
            sent.add(v.clone());
            rounds[0] = round;
            float[] out = v.clone();
            for (int i = 0; i < 7; i++) {
                out[i] += 0.5f;
            }
            out[7] += 0.25f;
            out[8] += 2;
            out[9] += v[9];
            out[10] += 1;
            return out;
        }, 0, 2);
        TrainingStrategy.Step whole = s.reduce(p, new TrainingStrategy.Step(0.5, 3), atStep(70_000));
        assertThat(rounds[0]).isEqualTo(70_000);
        assertThat(sent.get(0)).containsExactly(1, 2, 3, 4, 5, 6, 7, 0.5f, 3, 70_000 % 65_536, 1);
        assertThat(p.flattenGradients(0)).containsExactly(1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f);
        assertThat(p.flattenGradients(2)).hasSize(9).endsWith(0, 0);
        assertThat(whole).isEqualTo(new TrainingStrategy.Step(0.75, 5));
        assertThat(s.isGlobalZero()).isTrue();
        assertThat(new AllReduceGradients((r, v) -> v, 1, 2).isGlobalZero()).isFalse();
        assertThat(s.toString()).isEqualTo("AllReduceGradients[rank 0 of 2]");
    }

    @Test
    void workersOutOfStepOrMissingAreNamed() {
        AllReduceGradients late = new AllReduceGradients((round, v) -> {
            float[] out = v.clone();
            out[9] += v[9] - 1; // the other worker is one step behind
            out[10] += 1;
            return out;
        }, 0, 2);
        assertThatThrownBy(() -> late.reduce(group(), new TrainingStrategy.Step(0.5, 3), atStep(4)))
                .isInstanceOf(WorkerLostException.class).hasMessageContaining("not in step")
                .hasMessageContaining("step 4").hasMessageContaining("--resume");
        AllReduceGradients alone = new AllReduceGradients((round, v) -> v.clone(), 0, 2);
        assertThatThrownBy(() -> alone.reduce(group(), new TrainingStrategy.Step(0.5, 3), atStep(4)))
                .hasMessageContaining("1 of 2 took part");
    }

    @Test
    void oneDeviceWritesItsRunAndLeavesEveryStepAsItIs() {
        TrainingStrategy one = TrainingStrategy.SINGLE_DEVICE;
        TrainingStrategy.Step local = new TrainingStrategy.Step(0.5, 3);
        assertThat(one.reduce(group(), local, atStep(1))).isSameAs(local);
        assertThat(one.isGlobalZero()).isTrue();
        assertThat(one.finish(group(), atStep(1))).isFalse();
        assertThat(one.rank()).isZero();
        assertThat(one.worldSize()).isOne();
        assertThat(one).hasToString("SingleDevice");
    }

    @Test
    void aWorkerThatComputedNothingStillReceivesTheSum() {
        StateDict d = new StateDict(manager);
        d.put("w", manager.zeros(new Shape(3)));
        TrainableParameters fresh = new TrainableParameters("fresh", d, List.of("w"));
        fresh.ensureGradients(); // no backward pass yet: without this, writing gradients would be lost
        fresh.overwriteGradients(new float[] {4, 5, 6});
        assertThat(fresh.flattenGradients(0)).containsExactly(4, 5, 6);
        TrainableParameters p = group();
        p.ensureGradients(); // existing gradients stay as they are
        assertThat(p.flattenGradients(0)).containsExactly(1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void eachWorkerComputesAContiguousBalancedShare() {
        List<Integer> call = List.of(10, 11, 12, 13, 14, 15, 16);
        List<Integer> all = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            List<Integer> share = new AllReduceGradients((round, v) -> v, r, 3).shareOf(call);
            assertThat(share).hasSize(r == 0 ? 3 : 2);
            all.addAll(share);
        }
        assertThat(all).isEqualTo(call);
        assertThat(TrainingStrategy.SINGLE_DEVICE.shareOf(call)).isSameAs(call);
        assertThat(new AllReduceGradients((round, v) -> v, 4, 8).shareOf(List.of(1, 2, 3))).isEmpty();
        assertThat(new AllReduceGradients((round, v) -> v, 0, 1).shareOf(call)).isEqualTo(call);
        assertThatThrownBy(() -> new AllReduceGradients((round, v) -> v, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AllReduceGradients((round, v) -> v, -1, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AllReduceGradients((round, v) -> v, 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank must be 0..1");
        assertThatThrownBy(() -> group().overwriteGradients(new float[6])).hasMessageContaining("has 7 gradients");
    }
}
