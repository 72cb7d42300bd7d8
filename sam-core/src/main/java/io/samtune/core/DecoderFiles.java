package io.samtune.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.checkpoint.SamCheckpoint;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.core.model.LoraConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reading a decoder file into a model ({@link SamModel#loadDecoder}): its mask decoder, the
 * adapters it holds with their settings (or none: the model's go), and the prompt encoder a run
 * trained with it; every part checked (shapes, finite values, settings that fit the model) before
 * any is taken, each refusal naming the file.
 */
final class DecoderFiles {

    private DecoderFiles() {
    }

    /** Reads a decoder file into the model (see {@link SamModel#loadDecoder}). */
    static void load(SamModel model, Path file) throws CheckpointException {
        NDManager manager = model.manager();
        SamConfig config = model.config();
        StateDict weights = model.weights();
        Map<String, String> meta = new java.util.HashMap<>();
        try (StateDict sd = SamCheckpoint.load(file, manager, meta)) {
            StateDict decoder = sd.subset("mask_decoder.", manager);
            try {
                if (decoder.size() == 0) {
                    throw new CheckpointException(file, "holds no mask_decoder.* tensors; expected a decoder saved by"
                            + " samtune train or a full SAM checkpoint");
                }
                SamModel.checkShapes(decoder, config.decoderShapes(), file, config);
                SamModel.requireFinite(decoder, file);
                StateDict prompt = trainedPromptEncoder(model, sd, meta, file);
                try {
                    loadAdapters(model, sd, meta, file); // the last check; it takes the adapters when they pass
                    weights.putAll(decoder);
                    if (prompt != null) {
                        weights.putAll(prompt);
                    }
                } finally {
                    if (prompt != null) {
                        prompt.close();
                    }
                }
            } finally {
                decoder.close();
            }
        }
    }

    /**
     * The prompt encoder a run trained with its decoder ({@code train --train prompt-encoder}): the
     * {@code prompt_encoder.*} tensors of a samtune decoder file, checked; null when it has none (a
     * whole SAM checkpoint given as a decoder keeps lending its decoder alone).
     */
    private static StateDict trainedPromptEncoder(SamModel model, StateDict sd, Map<String, String> meta, Path file)
            throws CheckpointException {
        SamConfig config = model.config();
        NDManager manager = model.manager();
        if (!SamModel.DECODER_FORMAT.equals(meta.get(SamModel.FORMAT_KEY))
                || sd.keys().stream().noneMatch(k -> k.startsWith("prompt_encoder."))) {
            return null;
        }
        StateDict prompt = sd.subset("prompt_encoder.", manager);
        try {
            Map<String, Shape> expected = new java.util.LinkedHashMap<>(config.expectedShapes());
            expected.keySet().removeIf(k -> !k.startsWith("prompt_encoder.") || k.startsWith("prompt_encoder.pe_layer."));
            SamModel.checkShapes(prompt, expected, file, config);
            SamModel.requireFinite(prompt, file);
            return prompt;
        } catch (CheckpointException e) {
            prompt.close();
            throw e;
        }
    }

    /** Takes over a decoder file's adapters ({@code image_encoder.*.lora_*}), if it has any. */
    private static void loadAdapters(SamModel model, StateDict sd, Map<String, String> meta, Path file)
            throws CheckpointException {
        SamConfig config = model.config();
        Map<String, NDArray> found = new java.util.LinkedHashMap<>();
        for (String k : sd.keys()) {
            if (LoraConfig.isAdapterName(k)) {
                found.put(k, sd.get(k));
            }
        }
        if (found.isEmpty()) {
            model.removeAdapters();
            return;
        }
        if (!meta.containsKey(SamModel.ADAPTER_KEY)) {
            throw new CheckpointException(file, "holds LoRA adapter tensors but not their settings (metadata '"
                    + SamModel.ADAPTER_KEY + "'); use a decoder file written by samtune train");
        }
        LoraConfig lora;
        try {
            lora = LoraConfig.fromJson(com.google.gson.JsonParser.parseString(meta.get(SamModel.ADAPTER_KEY)));
            lora.blockIndexes(config);
        } catch (RuntimeException e) {
            throw new CheckpointException(file, "its adapter settings do not fit this model: " + e.getMessage());
        }
        for (Map.Entry<String, NDArray> e : found.entrySet()) {
            if (!Float.isFinite(e.getValue().abs().max().toType(DataType.FLOAT32, false).getFloat())) {
                throw new CheckpointException(file, "tensor " + e.getKey() + " is not finite; the adapters are damaged");
            }
        }
        Map<String, Shape> shapes = lora.shapes(config);
        for (Map.Entry<String, NDArray> e : found.entrySet()) {
            Shape want = shapes.get(e.getKey());
            if (want == null || !want.equals(e.getValue().getShape())) {
                throw new CheckpointException(file, "adapter tensor " + e.getKey() + " " + e.getValue().getShape()
                        + (want == null ? " is not one of its settings' (" + lora + ")" : " should be " + want + " for "
                        + lora) + "; the file is damaged or was edited");
            }
        }
        if (!found.keySet().equals(shapes.keySet())) {
            throw new CheckpointException(file, "holds " + found.size() + " of the " + shapes.size()
                    + " adapter tensors of " + lora + "; the file is damaged or was edited");
        }
        try {
            if (!lora.equals(model.adapters())) {
                model.removeAdapters();
            }
            model.setAdapters(lora, found);
        } catch (RuntimeException e) {
            throw new CheckpointException(file, "its adapters do not fit this model: " + e.getMessage());
        }
    }
}
