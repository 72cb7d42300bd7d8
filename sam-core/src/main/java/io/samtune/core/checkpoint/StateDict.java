package io.samtune.core.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Named float32 tensors keyed exactly like SAM's PyTorch state dict
 * ({@code image_encoder.blocks.0.attn.qkv.weight}, {@code mask_decoder.iou_token.weight}, ...).
 * Owns its arrays: closing it frees their native memory.
 */
public final class StateDict implements AutoCloseable {

    private final NDManager manager;
    private final Map<String, NDArray> tensors = new LinkedHashMap<>();

    /** An empty state dict whose arrays live in a sub-manager of {@code parent}. */
    public StateDict(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** The manager holding this state dict's arrays. */
    public NDManager manager() {
        return manager;
    }

    /** Adds or replaces a tensor, taking it into this state dict's manager and naming it. */
    public void put(String name, NDArray array) {
        array.attach(manager);
        array.setName(name);
        NDArray old = tensors.put(name, array);
        if (old != null && old != array) {
            old.close();
        }
    }

    /** Removes a tensor (closing it); nothing happens when it is absent. */
    public void remove(String name) {
        NDArray old = tensors.remove(name);
        if (old != null) {
            old.close();
        }
    }

    /**
     * The tensor of a name.
     *
     * @throws IllegalArgumentException if absent
     */
    public NDArray get(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + this);
        }
        return a;
    }

    /** True when the name is present. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The shape of a tensor, or null when absent. */
    public Shape shape(String name) {
        NDArray a = tensors.get(name);
        return a == null ? null : a.getShape();
    }

    /** Names in insertion order. */
    public Set<String> keys() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    /** Names and tensors in insertion order. */
    public Map<String, NDArray> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** Number of tensors. */
    public int size() {
        return tensors.size();
    }

    /** Total number of elements. */
    public long parameterCount() {
        return tensors.values().stream().mapToLong(NDArray::size).sum();
    }

    /**
     * The name of the first tensor holding a NaN or an infinity, with its count of such values, or
     * null when every value is finite.
     */
    public String firstNonFinite() {
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            int bad = 0;
            for (float v : e.getValue().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()) {
                if (!Float.isFinite(v)) {
                    bad++;
                }
            }
            if (bad > 0) {
                return e.getKey() + " (" + bad + " of " + e.getValue().size() + " values not finite)";
            }
        }
        return null;
    }

    /** A new state dict with copies of the tensors whose names start with {@code prefix}. */
    public StateDict subset(String prefix, NDManager parent) {
        StateDict out = new StateDict(parent);
        tensors.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k, v.duplicate());
            }
        });
        return out;
    }

    /** Copies every tensor of {@code other} into this one, replacing tensors of the same name. */
    public void putAll(StateDict other) {
        other.tensors.forEach((k, v) -> put(k, v.duplicate()));
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        Set<String> prefixes = new TreeSet<>();
        tensors.keySet().forEach(k -> prefixes.add(k.contains(".") ? k.substring(0, k.indexOf('.')) : k));
        return String.format(java.util.Locale.ROOT, "StateDict[%d tensors, %,d parameters, %s]", size(),
                parameterCount(), String.join(", ", prefixes));
    }
}
