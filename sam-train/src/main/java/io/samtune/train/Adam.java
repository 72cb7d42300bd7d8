package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam and AdamW exactly as {@code torch.optim.Adam} / {@code AdamW} compute them (bias-corrected
 * moments, {@code eps} added after the square root; Adam's weight decay added to the gradient,
 * AdamW's applied to the weights). Moments live in the optimizer's own manager, keyed by tensor name.
 */
public final class Adam implements Optimizer {

    private final boolean decoupled;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long updates;

    /**
     * @param parent manager whose device holds the parameters
     * @param decoupled true for AdamW, false for Adam
     * @param beta1 decay of the first moment, in [0, 1)
     * @param beta2 decay of the second moment, in [0, 1)
     * @param eps added to the root of the second moment, &gt; 0
     * @param weightDecay L2 (Adam) or decoupled (AdamW) weight decay, &ge; 0
     */
    public Adam(NDManager parent, boolean decoupled, double beta1, double beta2, double eps, double weightDecay) {
        this.manager = parent.newSubManager();
        this.decoupled = decoupled;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override
    public long updates() {
        return updates;
    }

    @Override
    public void update(TrainableParameters parameters, double lr) {
        updates++;
        double bc1 = 1 - Math.pow(beta1, updates);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, updates));
        double stepSize = lr / bc1;
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : parameters.arrays().entrySet()) {
                NDArray param = e.getValue();
                // a detached view shares the parameter's storage: update it in place, outside autograd
                NDArray p = param.stopGradient();
                p.attach(scope);
                NDArray g = param.getGradient();
                g.attach(scope);
                NDArray mom = m.computeIfAbsent(e.getKey(), k -> manager.zeros(param.getShape()));
                NDArray sq = v.computeIfAbsent(e.getKey(), k -> manager.zeros(param.getShape()));
                if (decoupled && weightDecay != 0) {
                    p.muli(1 - lr * weightDecay);
                } else if (weightDecay != 0) {
                    g = g.add(p.mul(weightDecay));
                }
                mom.muli(beta1).addi(g.mul(1 - beta1));
                sq.muli(beta2).addi(g.mul(g).mul(1 - beta2));
                // temporaries start from a step-scoped array, so they are freed with the step
                NDArray root = sq.sqrt();
                root.attach(scope);
                NDArray denom = root.div(bc2Sqrt).add(eps);
                NDArray update = mom.duplicate();
                update.attach(scope);
                p.subi(update.div(denom).mul(stepSize));
            }
        }
        parameters.zeroGradients();
    }

    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        m.forEach((k, a) -> s.put("m." + k, a));
        v.forEach((k, a) -> s.put("v." + k, a));
        return s;
    }

    @Override
    public void restore(Map<String, NDArray> state, long updateCount) {
        m.values().forEach(NDArray::close);
        v.values().forEach(NDArray::close);
        m.clear();
        v.clear();
        state.forEach((k, a) -> {
            NDArray copy = a.duplicate();
            copy.attach(manager);
            if (k.startsWith("m.")) {
                m.put(k.substring(2), copy);
            } else if (k.startsWith("v.")) {
                v.put(k.substring(2), copy);
            }
        });
        this.updates = updateCount;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return (decoupled ? "AdamW" : "Adam") + "[betas " + beta1 + "/" + beta2 + ", eps " + eps + ", weight decay "
                + weightDecay + ", " + updates + " updates]";
    }
}
