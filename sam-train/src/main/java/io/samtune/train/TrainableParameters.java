package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.samtune.core.SamModel;
import io.samtune.core.checkpoint.StateDict;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named group of tensors a run trains (SAM's mask decoder today; adapters on the image encoder
 * can form another group), looked up by name in the model's {@link StateDict} at every use, so a
 * tensor replaced there (a decoder loaded, weights averaged across sites) is trained from then on.
 * The group owns the gradient flags: every array it hands out requires a gradient, whoever created it.
 */
public final class TrainableParameters {

    private final String name;
    private final StateDict weights;
    private final List<String> names;
    private final Map<String, String> metadata;

    /**
     * @param name the group's name, for messages and files ({@code "mask_decoder"})
     * @param weights the state dict holding the tensors
     * @param names the tensors' names in {@code weights}, in a fixed order (updates, sums and files follow it)
     * @throws IllegalArgumentException if a name is not in {@code weights}
     */
    public TrainableParameters(String name, StateDict weights, Collection<String> names) {
        this(name, weights, names, Map.of());
    }

    /**
     * A group whose files record {@code metadata} too (the adapters' settings, which their tensors
     * alone do not tell).
     */
    public TrainableParameters(String name, StateDict weights, Collection<String> names, Map<String, String> metadata) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("parameter group '" + name + "' is empty");
        }
        for (String n : names) {
            if (!weights.contains(n)) {
                throw new IllegalArgumentException("parameter group '" + name + "': no tensor '" + n + "' in " + weights);
            }
        }
        this.name = name;
        this.weights = weights;
        this.names = List.copyOf(names);
        this.metadata = Map.copyOf(metadata);
        requireGradients();
    }

    /** SAM's mask decoder: every {@code mask_decoder.*} tensor of the model. */
    public static TrainableParameters decoder(SamModel model) {
        return new TrainableParameters("mask_decoder", model.weights(), model.decoderParameters().keySet());
    }

    /**
     * What a run of this model trains: its adapters (when it has some) and its mask decoder, one
     * group, adapters first; files of the group record the adapters' settings.
     */
    public static TrainableParameters of(SamModel model) {
        return of(model, false);
    }

    /**
     * As {@link #of(SamModel)}, with the prompt encoder's learned tensors too when
     * {@code promptEncoder} (every {@code prompt_encoder.*} but the fixed random matrix of its
     * positional encoding, a buffer in SAM), after the decoder.
     */
    public static TrainableParameters of(SamModel model, boolean promptEncoder) {
        if (model.adapters() == null && !promptEncoder) {
            return decoder(model);
        }
        List<String> all = new java.util.ArrayList<>(model.adapterParameters().keySet());
        all.addAll(model.decoderParameters().keySet());
        if (promptEncoder) {
            all.addAll(promptEncoderNames(model));
        }
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        if (model.adapters() != null) {
            meta.put(SamModel.ADAPTER_KEY, model.adapters().toJson().toString());
        }
        String name = (model.adapters() != null ? "lora+" : "") + "mask_decoder" + (promptEncoder ? "+prompt_encoder" : "");
        return new TrainableParameters(name, model.weights(), all, meta);
    }

    /** The prompt encoder's learned tensors, in the model's order. */
    static List<String> promptEncoderNames(SamModel model) {
        List<String> out = new java.util.ArrayList<>();
        for (String k : model.config().expectedShapes().keySet()) {
            if (k.startsWith("prompt_encoder.") && !k.startsWith("prompt_encoder.pe_layer.")) {
                out.add(k);
            }
        }
        return out;
    }

    /** What the group's files record besides their tensors (empty for the decoder alone). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The group's name. */
    public String name() {
        return name;
    }

    /** The tensors' names, in update order. */
    public List<String> names() {
        return names;
    }

    /** The current arrays by name, each requiring a gradient (read-only map; the arrays are the model's). */
    public Map<String, NDArray> arrays() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        for (String n : names) {
            NDArray a = weights.get(n);
            if (!a.hasGradient()) {
                a.setRequiresGradient(true);
            }
            m.put(n, a);
        }
        return Collections.unmodifiableMap(m);
    }

    /** Makes every current array require a gradient (arrays put into the state dict since come without). */
    public void requireGradients() {
        arrays();
    }

    /** The gradients by name, as views valid until the next step. */
    public Map<String, NDArray> gradients() {
        Map<String, NDArray> g = new LinkedHashMap<>();
        arrays().forEach((k, v) -> g.put(k, v.getGradient()));
        return g;
    }

    /** Sets every gradient to zero in place (backward passes add to them). */
    public void zeroGradients() {
        for (NDArray a : arrays().values()) {
            // the handle and the fill value live in a scope of their own; the gradient's storage is the parameter's
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray g = a.getGradient();
                g.attach(scope);
                g.set(new NDIndex("..."), 0f);
            }
        }
    }

    /**
     * Replaces the group's tensors with copies of {@code values} (all of them, same shapes); the
     * next step trains the new values.
     *
     * @throws IllegalArgumentException if a tensor is missing or of another shape
     */
    public void assign(Map<String, NDArray> values) {
        for (String n : names) {
            NDArray v = values.get(n);
            if (v == null || !v.getShape().equals(weights.shape(n))) {
                throw new IllegalArgumentException("parameter group '" + name + "': tensor " + n + " is "
                        + (v == null ? "missing" : "of shape " + v.getShape() + ", expected " + weights.shape(n)));
            }
        }
        for (String n : names) {
            weights.put(n, values.get(n).duplicate());
        }
        requireGradients();
    }

    /** Every value of the group in one array, tensor after tensor in {@link #names()} order. */
    public float[] flatten() {
        float[] out = new float[Math.toIntExact(parameterCount())];
        int at = 0;
        for (NDArray a : arrays().values()) {
            float[] v = a.toFloatArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    /**
     * Writes {@code values} (laid out as {@link #flatten()} gives them) into the group's tensors in
     * place: the same arrays, gradients and optimizer state by name, exactly these bits.
     *
     * @throws IllegalArgumentException if the length is not {@link #parameterCount()}
     */
    public void overwrite(float[] values) {
        if (values.length != parameterCount()) {
            throw new IllegalArgumentException("parameter group '" + name + "' has " + parameterCount() + " values, got "
                    + values.length);
        }
        int at = 0;
        for (NDArray a : arrays().values()) {
            int n = Math.toIntExact(a.size());
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray v = scope.create(java.util.Arrays.copyOfRange(values, at, at + n), a.getShape())
                        .toDevice(a.getDevice(), false);
                v.attach(scope);
                NDArray detached = a.stopGradient(); // shares the parameter's storage, outside autograd
                detached.attach(scope);
                detached.set(new NDIndex("..."), v);
            }
            at += n;
        }
    }

    /**
     * Gives every tensor a gradient where no backward pass has made one yet (zeros; existing ones
     * are unchanged), so that gradients can be written in place: a data-parallel worker whose share
     * of a step is empty still receives the summed gradients.
     */
    public void ensureGradients() {
        Map<String, NDArray> all = arrays();
        NDManager base = all.values().iterator().next().getManager();
        try (NDManager scope = base.newSubManager();
             ai.djl.training.GradientCollector gc = base.getEngine().newGradientCollector()) {
            NDArray total = null;
            for (NDArray a : all.values()) {
                // the factor lives in the scope until after backward (a mul(Number) scalar is freed before it)
                NDArray factor = scope.create(0f).toDevice(a.getDevice(), false);
                factor.attach(scope);
                NDArray zero = a.mul(factor).sum();
                zero.attach(scope);
                total = total == null ? zero : total.add(zero);
                total.attach(scope);
            }
            gc.backward(total);
        }
    }

    /**
     * Every gradient of the group in one array, laid out as {@link #flatten()}, followed by
     * {@code extra} zeros (room for values sent along with them).
     */
    public float[] flattenGradients(int extra) {
        float[] out = new float[Math.toIntExact(parameterCount() + extra)];
        int at = 0;
        for (NDArray a : arrays().values()) {
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray g = a.getGradient();
                g.attach(scope);
                float[] v = g.toFloatArray();
                System.arraycopy(v, 0, out, at, v.length);
                at += v.length;
            }
        }
        return out;
    }

    /**
     * Writes the first {@link #parameterCount()} of {@code values} (laid out as {@link #flatten()})
     * into the group's gradients in place, exactly these bits; values after them are ignored.
     *
     * @throws IllegalArgumentException if there are fewer values than parameters
     */
    public void overwriteGradients(float[] values) {
        if (values.length < parameterCount()) {
            throw new IllegalArgumentException("parameter group '" + name + "' has " + parameterCount()
                    + " gradients, got " + values.length + " values");
        }
        int at = 0;
        for (NDArray a : arrays().values()) {
            int n = Math.toIntExact(a.size());
            try (NDManager scope = a.getManager().newSubManager()) {
                NDArray grad = a.getGradient();
                grad.attach(scope);
                NDArray v = scope.create(java.util.Arrays.copyOfRange(values, at, at + n), a.getShape())
                        .toDevice(grad.getDevice(), false);
                v.attach(scope);
                grad.set(new NDIndex("..."), v);
            }
            at += n;
        }
    }

    /** Number of trained values. */
    public long parameterCount() {
        return names.stream().mapToLong(n -> weights.get(n).size()).sum();
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "TrainableParameters[%s, %d tensors, %,d values]", name, names.size(),
                parameterCount());
    }
}
