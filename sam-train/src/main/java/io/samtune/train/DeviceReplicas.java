package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import io.samtune.core.SamModel;
import io.samtune.core.model.Layers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Data parallelism inside one process, as a {@link TrainingStrategy} around the strategy across
 * processes (one device, data-parallel workers or a federated site): copies of the model on other
 * devices. Each decoder call's share is split over the devices in a fixed order, every forward and
 * backward pass runs under one gradient collector, the replicas' gradients are summed into the
 * trained model's in device order, and whenever the trained weights change (an update, a round, a
 * restore) they are copied to every replica. The result equals one device with the same batch up to
 * the order of sums. Everything else is the wrapped strategy's.
 *
 * <pre>{@code
 * trainer.setStrategy(new DeviceReplicas(TrainingStrategy.SINGLE_DEVICE, model, trainer.parameters()).add(onGpu1));
 * }</pre>
 */
public final class DeviceReplicas implements TrainingStrategy {

    /** A copy of the model on another device: its own weights, manager and positional encoding. */
    private record Replica(SamModel model, TrainableParameters parameters, NDManager manager, NDArray densePe) {
    }

    private final TrainingStrategy across;
    private final SamModel model;
    private final TrainableParameters parameters;
    private final List<Replica> replicas = new ArrayList<>();

    /**
     * Replicas of {@code model}, training {@code parameters}, within the strategy {@code across} processes.
     *
     * @param across what is shared with other processes (e.g. {@link TrainingStrategy#SINGLE_DEVICE})
     * @param model the trained model (the first device)
     * @param parameters its trained group (the trainer's)
     */
    public DeviceReplicas(TrainingStrategy across, SamModel model, TrainableParameters parameters) {
        this.across = Objects.requireNonNull(across, "across");
        this.model = Objects.requireNonNull(model, "model");
        this.parameters = Objects.requireNonNull(parameters, "parameters");
    }

    /**
     * Adds a replica and copies the trained weights to it.
     *
     * @param replica a model of the same sizes (and adapters) on its own device; its trained tensors are overwritten
     * @throws IllegalArgumentException if its sizes differ or it lacks a trained tensor
     */
    public DeviceReplicas add(SamModel replica) {
        if (!replica.config().equals(model.config())) {
            throw new IllegalArgumentException("a replica must have the model's sizes: " + replica.config() + " vs "
                    + model.config());
        }
        TrainableParameters p = new TrainableParameters(parameters.name(), replica.weights(), parameters.names());
        NDManager m = replica.manager().newSubManager();
        replicas.add(new Replica(replica, p, m, replica.promptEncoder().densePe(m)));
        copyWeights();
        return this;
    }

    /** The strategy across processes it wraps. */
    public TrainingStrategy across() {
        return across;
    }

    /** 1 plus the replicas. */
    public int deviceCount() {
        return 1 + replicas.size();
    }

    /** Copies the trained weights to every replica. */
    private void copyWeights() {
        for (Replica r : replicas) {
            try (NDManager scope = r.manager().newSubManager()) {
                Map<String, NDArray> copies = new LinkedHashMap<>();
                parameters.arrays().forEach((k, v) -> {
                    NDArray c = v.stopGradient().toDevice(r.model().device(), true);
                    c.attach(scope);
                    copies.put(k, c);
                });
                r.parameters().assign(copies);
            }
        }
    }

    /**
     * The share split over the model and its replicas in device order (contiguous, the first
     * devices one larger when it does not divide); one gradient collector over every pass; each
     * part's loss weighted by its size, so the summed gradients are those of the whole share. (The
     * wrapped strategy's own {@code computeGradients} is not called: the replicas compute the share.)
     */
    @Override
    public double computeGradients(List<TrainingExample> batch, double scale, DecoderTrainer trainer) {
        if (replicas.isEmpty()) {
            return trainer.computeOnModel(batch, scale);
        }
        TrainingTask task = trainer.task();
        int devices = Math.min(deviceCount(), batch.size());
        double loss = 0;
        List<NDManager> scopes = new ArrayList<>();
        try (GradientCollector gc = model.manager().getEngine().newGradientCollector()) {
            int from = 0;
            for (int d = 0; d < devices; d++) {
                int n = batch.size() / devices + (d < batch.size() % devices ? 1 : 0);
                List<TrainingExample> share = batch.subList(from, from + n);
                from += n;
                NDManager scope = (d == 0 ? trainer.manager() : replicas.get(d - 1).manager()).newSubManager();
                scopes.add(scope);
                NDArray l = d == 0 ? task.loss(share, model, trainer.densePe(), scope)
                        : task.loss(share, replicas.get(d - 1).model(), replicas.get(d - 1).densePe(), scope);
                double weight = scale * n / batch.size();
                gc.backward(weight == 1.0 ? l : l.mul(Layers.scalar(l, weight)));
                loss += l.getFloat() * n / batch.size();
            }
        } finally {
            scopes.forEach(NDManager::close);
        }
        sumGradients(trainer.manager());
        return loss;
    }

    @Override
    public void weightsChanged(TrainableParameters trained) {
        across.weightsChanged(trained);
        copyWeights();
    }

    @Override
    public boolean isGlobalZero() {
        return across.isGlobalZero();
    }

    @Override
    public void setUp(Context run) throws IOException {
        across.setUp(run);
    }

    @Override
    public int rank() {
        return across.rank();
    }

    @Override
    public int worldSize() {
        return across.worldSize();
    }

    @Override
    public List<Integer> shareOf(List<Integer> call) {
        return across.shareOf(call);
    }

    @Override
    public Step reduce(TrainableParameters trained, Step local, TrainingView run) {
        return across.reduce(trained, local, run);
    }

    @Override
    public void start(TrainableParameters trained, TrainingView run) {
        across.start(trained, run);
        copyWeights();
    }

    @Override
    public void afterUpdate(TrainableParameters trained, TrainingView run) {
        across.afterUpdate(trained, run);
        copyWeights();
    }

    @Override
    public boolean finish(TrainableParameters trained, TrainingView run) {
        boolean changed = across.finish(trained, run);
        if (changed) {
            copyWeights();
        }
        return changed;
    }

    @Override
    public void describe(JsonObject runInfo) {
        across.describe(runInfo);
    }

    /** Adds every replica's gradients to the model's, in device order, and zeroes the replicas'. */
    private void sumGradients(NDManager manager) {
        Map<String, NDArray> own = parameters.arrays();
        for (Replica r : replicas) {
            Map<String, NDArray> theirs = r.parameters().arrays();
            try (NDManager scope = manager.newSubManager()) {
                for (String k : parameters.names()) {
                    NDArray g = own.get(k).getGradient();
                    g.attach(scope);
                    NDArray rg = theirs.get(k).getGradient();
                    rg.attach(scope);
                    NDArray moved = rg.toDevice(model.device(), true);
                    moved.attach(scope);
                    g.addi(moved);
                }
            }
            r.parameters().zeroGradients();
        }
    }

    /** Frees the replicas' working memory (the replicas stay the caller's) and closes the wrapped strategy. */
    @Override
    public void close() {
        replicas.forEach(r -> r.manager().close());
        across.close();
    }

    @Override
    public String toString() {
        return "DeviceReplicas[" + deviceCount() + " devices, " + across + "]";
    }
}
