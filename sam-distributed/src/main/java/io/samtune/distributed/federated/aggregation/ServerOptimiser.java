package io.samtune.distributed.federated.aggregation;

import com.google.gson.JsonObject;
import io.samtune.data.ConfigJson;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * "fedavgm", "fedadam" and "fedyogi": the weighted mean's step from the global weights,
 * {@code Δ = mean − x}, treated as a pseudo-gradient by a server optimiser (Reddi et al. 2021,
 * "Adaptive Federated Optimization", Algorithm 2). Per coordinate, in double from the float state:
 * <ul>
 *   <li>FedAvgM: {@code v = momentum·v + Δ; x = x + serverLr·v}; state [v], starting at 0.</li>
 *   <li>FedAdam: {@code m = β1·m + (1−β1)·Δ; v = β2·v + (1−β2)·Δ²; x = x + serverLr·m/(√v + τ)};
 *       state [m, v], starting at m = 0, v = τ².</li>
 *   <li>FedYogi: as FedAdam but {@code v = v − (1−β2)·Δ²·sign(v − Δ²)}.</li>
 * </ul>
 * The new weights and state are stored as float, rounded once per round. Tolerates no faulty site.
 * Settings that do not belong to the kind are 0 (use the factories).
 *
 * @param kind which optimiser
 * @param serverLr the server's learning rate, in (0, 10]
 * @param momentum FedAvgM's momentum, in [0, 1) (0 for the others)
 * @param beta1 the first moment's decay, in [0, 1) (0 for FedAvgM)
 * @param beta2 the second moment's decay, in [0, 1) (0 for FedAvgM)
 * @param tau the adaptivity floor, in (0, 1] (0 for FedAvgM)
 */
public record ServerOptimiser(Kind kind, double serverLr, double momentum, double beta1, double beta2, double tau)
        implements Aggregation {

    /** The three server optimisers. */
    public enum Kind {
        /** Server momentum (FedAvgM). */
        FEDAVGM,
        /** Adam on the server (FedAdam). */
        FEDADAM,
        /** Yogi on the server (FedYogi): the second moment grows more carefully than Adam's. */
        FEDYOGI;

        /** The name in federation.json. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Checks every setting of the kind, and that the others are 0. */
    public ServerOptimiser {
        if (kind == null) {
            throw new IllegalArgumentException("a server optimiser needs its kind (fedavgm, fedadam or fedyogi)");
        }
        within(serverLr > 0 && serverLr <= 10, "serverLr", "(0, 10]", serverLr);
        if (kind == Kind.FEDAVGM) {
            within(momentum >= 0 && momentum < 1, "momentum", "[0, 1)", momentum);
            unused(kind, "beta1", beta1);
            unused(kind, "beta2", beta2);
            unused(kind, "tau", tau);
        } else {
            unused(kind, "momentum", momentum);
            within(beta1 >= 0 && beta1 < 1, "beta1", "[0, 1)", beta1);
            within(beta2 >= 0 && beta2 < 1, "beta2", "[0, 1)", beta2);
            within(tau > 0 && tau <= 1, "tau", "(0, 1]", tau);
        }
    }

    /** FedAvgM with these settings. */
    public static ServerOptimiser fedAvgM(double serverLr, double momentum) {
        return new ServerOptimiser(Kind.FEDAVGM, serverLr, momentum, 0, 0, 0);
    }

    /** FedAdam with these settings. */
    public static ServerOptimiser fedAdam(double serverLr, double beta1, double beta2, double tau) {
        return new ServerOptimiser(Kind.FEDADAM, serverLr, 0, beta1, beta2, tau);
    }

    /** FedYogi with these settings. */
    public static ServerOptimiser fedYogi(double serverLr, double beta1, double beta2, double tau) {
        return new ServerOptimiser(Kind.FEDYOGI, serverLr, 0, beta1, beta2, tau);
    }

    /** The kind with its defaults: serverLr 1, momentum 0.9 (FedAvgM); serverLr 0.01, β1 0.9, β2 0.99, τ 1e-3. */
    public static ServerOptimiser defaults(Kind kind) {
        return kind == Kind.FEDAVGM ? fedAvgM(1.0, 0.9) : new ServerOptimiser(kind, 0.01, 0, 0.9, 0.99, 1e-3);
    }

    /** Reads the kind's settings (defaults for those absent); the others stay unread, so finish() refuses them. */
    static ServerOptimiser fromJson(Kind kind, ConfigJson j) {
        ServerOptimiser d = defaults(kind);
        double lr = j.number("serverLr", d.serverLr);
        if (kind == Kind.FEDAVGM) {
            return fedAvgM(lr, j.number("momentum", d.momentum));
        }
        return new ServerOptimiser(kind, lr, 0, j.number("beta1", d.beta1), j.number("beta2", d.beta2),
                j.number("tau", d.tau));
    }

    @Override
    public String name() {
        return kind.label();
    }

    @Override
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("strategy", name());
        o.addProperty("serverLr", serverLr);
        if (kind == Kind.FEDAVGM) {
            o.addProperty("momentum", momentum);
        } else {
            o.addProperty("beta1", beta1);
            o.addProperty("beta2", beta2);
            o.addProperty("tau", tau);
        }
        return o;
    }

    @Override
    public String describe() {
        String settings = kind == Kind.FEDAVGM ? ", momentum " + plain(momentum)
                : ", beta1 " + plain(beta1) + ", beta2 " + plain(beta2) + ", tau " + plain(tau);
        return name() + " (serverLr " + plain(serverLr) + settings + ")";
    }

    @Override
    public String toString() {
        return "ServerOptimiser[" + describe() + "]";
    }

    /** FedAvgM: [v = 0]; FedAdam and FedYogi: [m = 0, v = τ²]. */
    @Override
    public AggregationState initialState(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("weights of " + length + " values");
        }
        if (kind == Kind.FEDAVGM) {
            return new AggregationState(0, List.of(new float[length]));
        }
        float[] v = new float[length];
        Arrays.fill(v, (float) (tau * tau));
        return new AggregationState(0, List.of(new float[length], v));
    }

    @Override
    public Result aggregate(long round, float[] global, List<SiteUpdate> updates, AggregationState state) {
        Updates u = Updates.of(global, updates);
        if (state == null) {
            throw new IllegalArgumentException(name() + " needs a state (start from its initialState)");
        }
        state.require(name(), global.length, kind == Kind.FEDAVGM ? 1 : 2);
        double[] mean = u.mean();
        return kind == Kind.FEDAVGM ? momentumStep(global, mean, state) : adaptiveStep(global, mean, state);
    }

    private Result momentumStep(float[] x, double[] mean, AggregationState state) {
        float[] v = state.buffers().get(0);
        float[] nextX = new float[x.length];
        float[] nextV = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double vi = momentum * v[i] + (mean[i] - x[i]);
            nextV[i] = (float) vi;
            nextX[i] = (float) (x[i] + serverLr * vi);
        }
        return new Result(nextX, new AggregationState(state.rounds() + 1, List.of(nextV)));
    }

    private Result adaptiveStep(float[] x, double[] mean, AggregationState state) {
        float[] m = state.buffers().get(0);
        float[] v = state.buffers().get(1);
        float[] nextX = new float[x.length];
        float[] nextM = new float[x.length];
        float[] nextV = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double delta = mean[i] - x[i];
            double squared = delta * delta;
            double mi = beta1 * m[i] + (1 - beta1) * delta;
            double vi = kind == Kind.FEDADAM ? beta2 * v[i] + (1 - beta2) * squared
                    : v[i] - (1 - beta2) * squared * Math.signum(v[i] - squared);
            nextM[i] = (float) mi;
            nextV[i] = (float) vi;
            nextX[i] = (float) (x[i] + serverLr * mi / (Math.sqrt(vi) + tau));
        }
        return new Result(nextX, new AggregationState(state.rounds() + 1, List.of(nextM, nextV)));
    }

    @Override
    public int tolerates(int sites) {
        return 0;
    }

    private static void within(boolean ok, String key, String range, double got) {
        if (!ok) {
            throw new IllegalArgumentException("federation setting 'merge." + key + "' must be in " + range + ", got " + got);
        }
    }

    private static void unused(Kind kind, String key, double got) {
        if (got != 0) {
            throw new IllegalArgumentException("federation setting 'merge." + key + "' does not apply to " + kind.label()
                    + ", got " + got);
        }
    }

    /** 0.001 rather than 1.0E-3, 1 rather than 1.0. */
    private static String plain(double x) {
        return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }
}
