package io.samtune.core.model;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.samtune.core.SamConfig;
import io.samtune.data.ConfigJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Low-rank adapters (LoRA) on the fused {@code attn.qkv} projection of chosen image-encoder blocks:
 * for each target t of q, k, v, {@code t += (alpha / rank) * x A_t^T B_t^T} with {@code A_t} (rank, dim)
 * and {@code B_t} (dim, rank). The blocks before the first adapted one stay frozen, so the tokens
 * entering it are a fixed function of the image: what the block cache keeps.
 *
 * @param rank the adapters' rank, at least 1 and at most the encoder's width
 * @param alpha the scale numerator: the update is scaled by {@code alpha / rank}
 * @param blocks which blocks: {@code "K"} for the last K blocks, or block indices {@code "9,10,11"}
 * @param targets the parts of qkv adapted, in q, k, v order ({@code q}, {@code v} by default)
 */
public record LoraConfig(int rank, double alpha, String blocks, List<String> targets) {

    /** The parts of the qkv projection, in the order of its output. */
    public static final List<String> PARTS = List.of("q", "k", "v");
    /** The default rank. */
    public static final int DEFAULT_RANK = 4;
    /** The default alpha. */
    public static final double DEFAULT_ALPHA = 8;
    /** The default blocks: the last two. */
    public static final String DEFAULT_BLOCKS = "2";

    /** Checks the settings that need no model (the blocks against a model: {@link #blockIndexes}). */
    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("--lora-rank must be at least 1, not " + rank);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("--lora-alpha must be a positive number, not " + alpha);
        }
        blocks = blocks == null ? "" : blocks.replace(" ", "");
        if (!blocks.matches("\\d+(,\\d+)*")) {
            throw new IllegalArgumentException("--lora-blocks must be a count of last blocks (2) or block indices"
                    + " (9,10,11), not '" + blocks + "'");
        }
        for (String b : blocks.split(",")) {
            if (b.length() > 4) {
                throw new IllegalArgumentException("--lora-blocks " + blocks + ": " + b + " is not a block count or"
                        + " index of any SAM encoder");
            }
        }
        if (!blocks.contains(",") && Integer.parseInt(blocks) == 0) {
            throw new IllegalArgumentException("--lora-blocks 0 adapts no block; give at least 1 (or leave out --adapter)");
        }
        TreeSet<Integer> order = new TreeSet<>();
        for (String t : targets) {
            int at = PARTS.indexOf(t.trim().toLowerCase(Locale.ROOT));
            if (at < 0) {
                throw new IllegalArgumentException("--lora-targets takes q, k and v, not '" + t + "'");
            }
            order.add(at);
        }
        if (order.isEmpty()) {
            throw new IllegalArgumentException("--lora-targets names no part of qkv; give q,v (the default) or q,k,v");
        }
        List<String> sorted = new ArrayList<>();
        order.forEach(i -> sorted.add(PARTS.get(i)));
        targets = List.copyOf(sorted);
    }

    /** Rank 4, alpha 8 on q and v of the last {@code lastBlocks} blocks. */
    public static LoraConfig lastBlocks(int lastBlocks) {
        return new LoraConfig(DEFAULT_RANK, DEFAULT_ALPHA, Integer.toString(lastBlocks), List.of("q", "v"));
    }

    /** The factor of the update, {@code alpha / rank}. */
    public double scale() {
        return alpha / rank;
    }

    /**
     * The adapted blocks of a model of these sizes, ascending.
     *
     * @throws IllegalArgumentException naming the option when a block is outside the encoder or the
     *     rank exceeds its width
     */
    public List<Integer> blockIndexes(SamConfig sizes) {
        int depth = sizes.encoderDepth();
        if (rank > sizes.encoderEmbedDim()) {
            throw new IllegalArgumentException("--lora-rank " + rank + " is larger than the encoder's width "
                    + sizes.encoderEmbedDim() + "; give a rank from 1 to " + sizes.encoderEmbedDim());
        }
        TreeSet<Integer> out = new TreeSet<>();
        if (!blocks.contains(",")) {
            int k = Integer.parseInt(blocks);
            if (k > depth) {
                throw new IllegalArgumentException("--lora-blocks " + k + " asks for more blocks than the encoder's "
                        + depth + "; give 1 to " + depth + " (the last K blocks) or indices from 0 to " + (depth - 1));
            }
            for (int b = depth - k; b < depth; b++) {
                out.add(b);
            }
        } else {
            for (String s : blocks.split(",")) {
                int b = Integer.parseInt(s);
                if (b >= depth) {
                    throw new IllegalArgumentException("--lora-blocks " + blocks + ": block " + b + " is outside the"
                            + " encoder, whose blocks are 0 to " + (depth - 1));
                }
                out.add(b);
            }
        }
        return List.copyOf(out);
    }

    /** The first adapted block: the blocks before it are frozen and cacheable. */
    public int firstBlock(SamConfig sizes) {
        return blockIndexes(sizes).get(0);
    }

    /** The adapter tensors' names and shapes, block by block, q before v, A before B. */
    public Map<String, Shape> shapes(SamConfig sizes) {
        Map<String, Shape> out = new LinkedHashMap<>();
        int dim = sizes.encoderEmbedDim();
        for (int b : blockIndexes(sizes)) {
            for (String t : targets) {
                out.put(name(b, t, "A"), new Shape(rank, dim));
                out.put(name(b, t, "B"), new Shape(dim, rank));
            }
        }
        return out;
    }

    /** An adapter tensor's name: {@code image_encoder.blocks.<b>.attn.qkv.lora_<t>_<factor>}. */
    public static String name(int block, String target, String factor) {
        return "image_encoder.blocks." + block + ".attn.qkv.lora_" + target + "_" + factor;
    }

    /** True for the name of an adapter tensor. */
    public static boolean isAdapterName(String name) {
        return name.matches("image_encoder\\.blocks\\.\\d+\\.attn\\.qkv\\.lora_[qkv]_[AB]");
    }

    /** The settings as JSON; {@link #fromJson} reads them back. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", "lora");
        o.addProperty("rank", rank);
        o.addProperty("alpha", alpha);
        o.addProperty("blocks", blocks);
        JsonArray t = new JsonArray();
        targets.forEach(t::add);
        o.add("targets", t);
        return o;
    }

    /**
     * Settings from {@link #toJson} (absent keys take the defaults).
     *
     * @throws IllegalArgumentException for unknown keys or bad values
     */
    public static LoraConfig fromJson(JsonElement json) {
        ConfigJson j = new ConfigJson("adapter", json);
        String kind = j.string("kind", "lora");
        if (!"lora".equals(kind)) {
            throw new IllegalArgumentException("setting adapter.kind must be lora, not '" + kind + "'");
        }
        int rank = j.int32("rank", DEFAULT_RANK);
        double alpha = j.number("alpha", DEFAULT_ALPHA);
        String blocks = DEFAULT_BLOCKS;
        if (j.has("blocks")) {
            JsonElement b = j.element("blocks");
            if (!b.isJsonPrimitive()) {
                throw new IllegalArgumentException("setting adapter.blocks must be a count of last blocks (2) or indices"
                        + " as text (\"9,10,11\"), not " + b);
            }
            blocks = b.getAsString(); // "2" or 2
        }
        List<String> targets = new ArrayList<>();
        if (j.has("targets")) {
            JsonElement t = j.element("targets");
            if (!t.isJsonArray()) {
                throw new IllegalArgumentException("setting adapter.targets must be a list such as [\"q\", \"v\"]");
            }
            for (JsonElement e : t.getAsJsonArray()) {
                if (!e.isJsonPrimitive()) {
                    throw new IllegalArgumentException("setting adapter.targets must be a list such as [\"q\", \"v\"]");
                }
                targets.add(e.getAsString());
            }
        } else {
            targets.addAll(List.of("q", "v"));
        }
        j.finish();
        return new LoraConfig(rank, alpha, blocks, targets);
    }

    @Override
    public String toString() {
        return "LoRA[rank " + rank + ", alpha " + (alpha == Math.rint(alpha) ? Long.toString((long) alpha)
                : Double.toString(alpha)) + ", blocks " + blocks + ", targets " + String.join(",", targets) + "]";
    }
}
