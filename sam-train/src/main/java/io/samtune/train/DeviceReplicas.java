package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.samtune.core.SamModel;
import io.samtune.core.model.Layers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data parallelism inside one process: copies of the model on other devices. Each decoder call's
 * batch is shared out over the devices in a fixed order, every forward and backward pass runs under
 * one gradient collector, the replicas' gradients are summed into the trained model's in device
 * order, and after each update its weights are copied to every replica. The result equals one device
 * with the same batch up to the order of sums. Empty (one device) by default.
 */
final class DeviceReplicas implements AutoCloseable {

    /** A copy of the model on another device: its own weights, manager and positional encoding. */
    private record Replica(SamModel model, TrainableParameters parameters, NDManager manager, NDArray densePe) {
    }

    private final SamModel model;
    private final TrainableParameters parameters;
    private final List<Replica> replicas = new ArrayList<>();

    /** Replicas of {@code model}, training {@code parameters}. */
    DeviceReplicas(SamModel model, TrainableParameters parameters) {
        this.model = model;
        this.parameters = parameters;
    }

    /**
     * Adds a replica and copies the trained weights to it.
     *
     * @param replica a model of the same sizes (and adapters) on its own device; its trained tensors are overwritten
     * @throws IllegalArgumentException if its sizes differ or it lacks a trained tensor
     */
    void add(SamModel replica) {
        if (!replica.config().equals(model.config())) {
            throw new IllegalArgumentException("a replica must have the model's sizes: " + replica.config() + " vs "
                    + model.config());
        }
        TrainableParameters p = new TrainableParameters(parameters.name(), replica.weights(), parameters.names());
        NDManager m = replica.manager().newSubManager();
        replicas.add(new Replica(replica, p, m, replica.promptEncoder().densePe(m)));
        copyWeights();
    }

    boolean isEmpty() {
        return replicas.isEmpty();
    }

    /** 1 plus the replicas. */
    int deviceCount() {
        return 1 + replicas.size();
    }

    /** Copies the trained weights to every replica (after an update, a restore or a synchronisation). */
    void copyWeights() {
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
     * The batch shared out over the model and its replicas in device order (contiguous, the first
     * shares one larger when it does not divide); one gradient collector over every pass; each
     * share's loss weighted by its size, so the summed gradients are those of the whole batch.
     *
     * @param manager the trainer's manager on the model's device
     * @param densePe the model's positional encoding
     * @return the batch's mean loss
     */
    double computeGradients(List<TrainingExample> batch, double scale, TrainingTask task, NDManager manager,
                            NDArray densePe) {
        int devices = Math.min(deviceCount(), batch.size());
        double loss = 0;
        List<NDManager> scopes = new ArrayList<>();
        try (GradientCollector gc = model.manager().getEngine().newGradientCollector()) {
            int from = 0;
            for (int d = 0; d < devices; d++) {
                int n = batch.size() / devices + (d < batch.size() % devices ? 1 : 0);
                List<TrainingExample> share = batch.subList(from, from + n);
                from += n;
                NDManager scope = (d == 0 ? manager : replicas.get(d - 1).manager()).newSubManager();
                scopes.add(scope);
                NDArray l = d == 0 ? task.loss(share, model, densePe, scope)
                        : task.loss(share, replicas.get(d - 1).model(), replicas.get(d - 1).densePe(), scope);
                double weight = scale * n / batch.size();
                gc.backward(weight == 1.0 ? l : l.mul(Layers.scalar(l, weight)));
                loss += l.getFloat() * n / batch.size();
            }
        } finally {
            scopes.forEach(NDManager::close);
        }
        sumGradients(manager);
        return loss;
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

    @Override
    public void close() {
        replicas.forEach(r -> r.manager().close());
    }

    @Override
    public String toString() {
        return "DeviceReplicas[" + deviceCount() + " devices]";
    }
}
