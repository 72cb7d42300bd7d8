package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam and AdamW exactly as {@code torch.optim.Adam} / {@code AdamW} compute them (bias-corrected
 * moments, {@code eps} added after the square root; Adam's weight decay added to the gradient,
 * AdamW's applied to the weights). Moments live in the optimizer's own manager and are part of the
 * training state, so a resumed run continues bit for bit.
 */
public final class AdamOptimizer implements AutoCloseable {

    private final boolean decoupled;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long step;

    /**
     * @param parent manager whose device holds the parameters
     * @param decoupled true for AdamW, false for Adam
     * @param weightDecay L2 (Adam) or decoupled (AdamW) weight decay
     */
    public AdamOptimizer(NDManager parent, boolean decoupled, double beta1, double beta2, double eps, double weightDecay) {
        this.manager = parent.newSubManager();
        this.decoupled = decoupled;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** Number of updates made so far. */
    public long stepCount() {
        return step;
    }

    /**
     * Updates every parameter from its gradient, then zeroes the gradients.
     *
     * @param params parameters by name, each with a gradient attached
     * @param lr learning rate of this step
     */
    public void step(Map<String, NDArray> params, double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
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
        zeroGradients(params);
    }

    /** Sets every parameter's gradient to zero (PyTorch accumulates them across backward passes). */
    public static void zeroGradients(Map<String, NDArray> params) {
        for (NDArray param : params.values()) {
            JniUtils.zeroGrad((PtNDArray) param);
        }
    }

    /** The first and second moments by {@code m.<name>} / {@code v.<name>}, for saving. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        m.forEach((k, a) -> s.put("m." + k, a));
        v.forEach((k, a) -> s.put("v." + k, a));
        return s;
    }

    /** Restores moments and the step count saved by {@link #state()}. */
    public void restore(Map<String, NDArray> state, long stepCount) {
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
        this.step = stepCount;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return (decoupled ? "AdamW" : "Adam") + "[betas " + beta1 + "/" + beta2 + ", eps " + eps + ", weight decay "
                + weightDecay + ", " + step + " steps]";
    }
}
