package io.samtune.distributed.federated;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.samtune.train.TrainableParameters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * FedProx (Li et al. 2020): adds the gradient of {@code mu/2 ||w - w_merged||^2} to the loss's,
 * keeping the last merged weights beside the parameters (on their device), so a step copies
 * nothing to the host.
 */
final class ProximalTerm implements AutoCloseable {

    private final float mu;
    private final List<NDArray> anchor = new ArrayList<>();
    private NDManager manager;

    ProximalTerm(double mu) {
        this.mu = (float) mu;
    }

    /** The weights the term pulls towards from now on (the last merged decoder), as one flat vector. */
    void anchor(TrainableParameters parameters, float[] merged) {
        if (mu <= 0) {
            return;
        }
        close();
        NDManager any = parameters.arrays().values().iterator().next().getManager();
        manager = any.newSubManager();
        int at = 0;
        for (NDArray a : parameters.arrays().values()) {
            int n = Math.toIntExact(a.size());
            anchor.add(manager.create(Arrays.copyOfRange(merged, at, at + n), a.getShape()).toDevice(a.getDevice(), false));
            at += n;
        }
    }

    /** Adds {@code mu (w - anchor)} to each parameter's gradient (before the update). */
    void addTo(TrainableParameters parameters) {
        if (mu <= 0 || anchor.isEmpty()) {
            return;
        }
        int k = 0;
        for (NDArray a : parameters.arrays().values()) {
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray g = a.getGradient();
                g.attach(scope);
                NDArray w = a.stopGradient();
                w.attach(scope);
                NDArray pull = w.sub(anchor.get(k++)).muli(mu);
                g.set(new NDIndex("..."), g.add(pull));
            }
        }
    }

    @Override
    public void close() {
        anchor.clear();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
