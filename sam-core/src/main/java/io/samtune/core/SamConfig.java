package io.samtune.core;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.samtune.core.checkpoint.StateDict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The sizes of a SAM model. Named presets {@link #vitB()}, {@link #vitL()}, {@link #vitH()}; JSON in
 * the format of {@code tiny-sam-config.json} ({@link #fromJson}); or inferred from a checkpoint's
 * tensor shapes ({@link #inferFrom}). Build variants with {@link #toBuilder()}.
 *
 * @param imageSize side of the square model input, pixels (1024)
 * @param patchSize side of an encoder patch, pixels (16)
 * @param encoderEmbedDim ViT width
 * @param encoderDepth number of ViT blocks
 * @param encoderNumHeads attention heads per ViT block
 * @param encoderGlobalAttnIndexes blocks (0-based) with global instead of windowed attention
 * @param windowSize side of an attention window, in tokens (14)
 * @param mlpRatio ViT MLP width over embed width (4)
 * @param promptEmbedDim prompt and decoder width, also the image embedding's channels (256)
 * @param maskInChans channels of the mask-prompt downscaling (16)
 * @param decoderDepth two-way transformer layers (2)
 * @param decoderNumHeads decoder attention heads (8)
 * @param decoderMlpDim decoder MLP width (2048)
 * @param iouHeadDepth layers of the IoU prediction MLP (3)
 * @param iouHeadHiddenDim width of the IoU prediction MLP (256)
 * @param numMultimaskOutputs masks predicted in multimask mode (3)
 * @param layerNormEps epsilon of the encoder's LayerNorm and every LayerNorm2d (1e-6); the decoder
 *     transformer's LayerNorms use PyTorch's default 1e-5, as in SAM
 */
public record SamConfig(int imageSize, int patchSize, int encoderEmbedDim, int encoderDepth, int encoderNumHeads,
                        List<Integer> encoderGlobalAttnIndexes, int windowSize, double mlpRatio, int promptEmbedDim,
                        int maskInChans, int decoderDepth, int decoderNumHeads, int decoderMlpDim, int iouHeadDepth,
                        int iouHeadHiddenDim, int numMultimaskOutputs, double layerNormEps) {

    /** Epsilon of the decoder transformer's LayerNorms (PyTorch's default). */
    public static final double DECODER_LAYER_NORM_EPS = 1e-5;

    /** JSON keys that describe a run, not the model, and are accepted and ignored. */
    private static final Set<String> IGNORED_KEYS = Set.of("variant", "seed", "name", "model_type");

    /** Validates sizes and divisibility. */
    public SamConfig {
        encoderGlobalAttnIndexes = List.copyOf(encoderGlobalAttnIndexes);
        positive("imageSize", imageSize);
        positive("patchSize", patchSize);
        positive("encoderEmbedDim", encoderEmbedDim);
        positive("encoderDepth", encoderDepth);
        positive("encoderNumHeads", encoderNumHeads);
        positive("windowSize", windowSize);
        positive("promptEmbedDim", promptEmbedDim);
        positive("maskInChans", maskInChans);
        positive("decoderDepth", decoderDepth);
        positive("decoderNumHeads", decoderNumHeads);
        positive("decoderMlpDim", decoderMlpDim);
        positive("iouHeadDepth", iouHeadDepth);
        positive("iouHeadHiddenDim", iouHeadHiddenDim);
        positive("numMultimaskOutputs", numMultimaskOutputs);
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("imageSize " + imageSize + " must be a multiple of patchSize " + patchSize);
        }
        if (encoderEmbedDim % encoderNumHeads != 0) {
            throw new IllegalArgumentException("encoderEmbedDim " + encoderEmbedDim + " must be divisible by encoderNumHeads "
                    + encoderNumHeads);
        }
        if (promptEmbedDim % 8 != 0 || (promptEmbedDim / 2) % decoderNumHeads != 0) {
            throw new IllegalArgumentException("promptEmbedDim " + promptEmbedDim + " must be a multiple of 8 and of 2 x "
                    + "decoderNumHeads " + decoderNumHeads);
        }
        if (maskInChans % 4 != 0) {
            throw new IllegalArgumentException("maskInChans must be a multiple of 4, got " + maskInChans);
        }
        for (int i : encoderGlobalAttnIndexes) {
            if (i < 0 || i >= encoderDepth) {
                throw new IllegalArgumentException("global attention index " + i + " is outside 0.." + (encoderDepth - 1));
            }
        }
        if (!(mlpRatio > 0) || !(layerNormEps > 0)) {
            throw new IllegalArgumentException("mlpRatio and layerNormEps must be positive");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    /** SAM ViT-B (the official {@code sam_vit_b_01ec64.pth}, and MedSAM). */
    public static SamConfig vitB() {
        return preset(768, 12, 12, List.of(2, 5, 8, 11));
    }

    /** SAM ViT-L ({@code sam_vit_l_0b3195.pth}). */
    public static SamConfig vitL() {
        return preset(1024, 24, 16, List.of(5, 11, 17, 23));
    }

    /** SAM ViT-H ({@code sam_vit_h_4b8939.pth}). */
    public static SamConfig vitH() {
        return preset(1280, 32, 16, List.of(7, 15, 23, 31));
    }

    private static SamConfig preset(int embed, int depth, int heads, List<Integer> global) {
        return new SamConfig(1024, 16, embed, depth, heads, global, 14, 4.0, 256, 16, 2, 8, 2048, 3, 256, 3, 1e-6);
    }

    /**
     * A preset by name: {@code vit_b}, {@code vit_l} or {@code vit_h} (also {@code vitb}, {@code b}, ...).
     *
     * @throws IllegalArgumentException for another name
     */
    public static SamConfig named(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("-", "_");
        return switch (n) {
            case "vit_b", "vitb", "b" -> vitB();
            case "vit_l", "vitl", "l" -> vitL();
            case "vit_h", "vith", "h" -> vitH();
            default -> throw new IllegalArgumentException("unknown SAM model '" + name + "': use vit_b, vit_l, vit_h"
                    + " or a JSON config file");
        };
    }

    /** Side of the image embedding in tokens: {@code imageSize / patchSize} (64). */
    public int embeddingSize() {
        return imageSize / patchSize;
    }

    /** Side of the low-resolution mask logits: 4 x the embedding side (256). */
    public int lowResMaskSize() {
        return 4 * embeddingSize();
    }

    /** Number of mask tokens: {@code numMultimaskOutputs + 1}. */
    public int numMaskTokens() {
        return numMultimaskOutputs + 1;
    }

    /** True when block {@code i} uses global attention. */
    public boolean isGlobal(int block) {
        return encoderGlobalAttnIndexes.contains(block);
    }

    /**
     * Reads a JSON config with the keys of {@code tiny-sam-config.json}.
     *
     * @throws IOException if the file cannot be read, holds an unknown key, or misses one
     */
    public static SamConfig fromJson(Path file) throws IOException {
        String text = Files.readString(file);
        try {
            return fromJson(JsonParser.parseString(text).getAsJsonObject());
        } catch (JsonParseException | IllegalStateException | IllegalArgumentException | UnsupportedOperationException e) {
            throw new IOException(file + ": invalid SAM config: " + e.getMessage(), e);
        }
    }

    /** Parses a JSON object with the keys of {@code tiny-sam-config.json}. */
    public static SamConfig fromJson(JsonObject o) {
        for (String key : o.keySet()) {
            if (!JSON_KEYS.contains(key) && !IGNORED_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (known: " + String.join(", ", JSON_KEYS) + ")");
            }
        }
        for (String key : JSON_KEYS) {
            if (!o.has(key)) {
                throw new IllegalArgumentException("missing key '" + key + "'");
            }
        }
        List<Integer> global = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray("encoder_global_attn_indexes")) {
            global.add(e.getAsInt());
        }
        return new SamConfig(o.get("image_size").getAsInt(), o.get("patch_size").getAsInt(),
                o.get("encoder_embed_dim").getAsInt(), o.get("encoder_depth").getAsInt(),
                o.get("encoder_num_heads").getAsInt(), global, o.get("window_size").getAsInt(),
                o.get("mlp_ratio").getAsDouble(), o.get("prompt_embed_dim").getAsInt(), o.get("mask_in_chans").getAsInt(),
                o.get("decoder_depth").getAsInt(), o.get("decoder_num_heads").getAsInt(),
                o.get("decoder_mlp_dim").getAsInt(), o.get("iou_head_depth").getAsInt(),
                o.get("iou_head_hidden_dim").getAsInt(), o.get("num_multimask_outputs").getAsInt(),
                o.get("layer_norm_eps").getAsDouble());
    }

    private static final List<String> JSON_KEYS = List.of("image_size", "patch_size", "encoder_embed_dim",
            "encoder_depth", "encoder_num_heads", "encoder_global_attn_indexes", "window_size", "mlp_ratio",
            "prompt_embed_dim", "mask_in_chans", "decoder_depth", "decoder_num_heads", "decoder_mlp_dim",
            "iou_head_depth", "iou_head_hidden_dim", "num_multimask_outputs", "layer_norm_eps");

    /** This config as JSON with the keys of {@code tiny-sam-config.json}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("image_size", imageSize);
        o.addProperty("patch_size", patchSize);
        o.addProperty("encoder_embed_dim", encoderEmbedDim);
        o.addProperty("encoder_depth", encoderDepth);
        o.addProperty("encoder_num_heads", encoderNumHeads);
        JsonArray g = new JsonArray();
        encoderGlobalAttnIndexes.forEach(g::add);
        o.add("encoder_global_attn_indexes", g);
        o.addProperty("window_size", windowSize);
        o.addProperty("mlp_ratio", mlpRatio);
        o.addProperty("prompt_embed_dim", promptEmbedDim);
        o.addProperty("mask_in_chans", maskInChans);
        o.addProperty("decoder_depth", decoderDepth);
        o.addProperty("decoder_num_heads", decoderNumHeads);
        o.addProperty("decoder_mlp_dim", decoderMlpDim);
        o.addProperty("iou_head_depth", iouHeadDepth);
        o.addProperty("iou_head_hidden_dim", iouHeadHiddenDim);
        o.addProperty("num_multimask_outputs", numMultimaskOutputs);
        o.addProperty("layer_norm_eps", layerNormEps);
        return o;
    }

    /**
     * Infers the sizes from a state dict's tensor shapes. The decoder's head count cannot be seen in
     * the shapes and defaults to 8; a state dict without {@code image_encoder.*} (a decoder-only
     * file) keeps ViT-B's encoder sizes.
     *
     * @throws IllegalArgumentException if a tensor needed to read a size is missing
     */
    public static SamConfig inferFrom(StateDict sd) {
        Builder b = vitB().toBuilder();
        if (sd.contains("image_encoder.patch_embed.proj.weight")) {
            long[] patch = sd.shape("image_encoder.patch_embed.proj.weight").getShape();
            int embed = (int) patch[0];
            int patchSize = (int) patch[2];
            int tokens = (int) need(sd, "image_encoder.pos_embed").get(1);
            int depth = count(sd, "image_encoder.blocks.", ".norm1.weight");
            int mlp = (int) need(sd, "image_encoder.blocks.0.mlp.lin1.weight").get(0);
            b.optImageSize(tokens * patchSize).optPatchSize(patchSize).optEncoderEmbedDim(embed).optEncoderDepth(depth)
                    .optMlpRatio((double) mlp / embed);
            if (sd.contains("image_encoder.blocks.0.attn.rel_pos_h")) {
                int headDim = (int) sd.shape("image_encoder.blocks.0.attn.rel_pos_h").get(1);
                b.optEncoderNumHeads(embed / headDim);
                List<Integer> global = new ArrayList<>();
                int window = 0;
                for (int i = 0; i < depth; i++) {
                    int len = (int) need(sd, "image_encoder.blocks." + i + ".attn.rel_pos_h").get(0);
                    int side = (len + 1) / 2;
                    if (side == tokens) {
                        global.add(i);
                    } else {
                        window = side;
                    }
                }
                b.optEncoderGlobalAttnIndexes(global);
                if (window > 0) {
                    b.optWindowSize(window);
                }
            }
        }
        int dim = (int) need(sd, "prompt_encoder.no_mask_embed.weight").get(1);
        int maskIn = (int) need(sd, "prompt_encoder.mask_downscaling.3.weight").get(0);
        int decDepth = count(sd, "mask_decoder.transformer.layers.", ".norm1.weight");
        int decMlp = (int) need(sd, "mask_decoder.transformer.layers.0.mlp.lin1.weight").get(0);
        int iouDepth = count(sd, "mask_decoder.iou_prediction_head.layers.", ".weight");
        int iouHidden = (int) need(sd, "mask_decoder.iou_prediction_head.layers.0.weight").get(0);
        int tokens = (int) need(sd, "mask_decoder.mask_tokens.weight").get(0);
        return b.optPromptEmbedDim(dim).optMaskInChans(maskIn).optDecoderDepth(decDepth).optDecoderMlpDim(decMlp)
                .optIouHeadDepth(iouDepth).optIouHeadHiddenDim(iouHidden).optNumMultimaskOutputs(tokens - 1).build();
    }

    private static Shape need(StateDict sd, String key) {
        Shape s = sd.shape(key);
        if (s == null) {
            throw new IllegalArgumentException("cannot infer the model sizes: tensor '" + key + "' is missing");
        }
        return s;
    }

    private static int count(StateDict sd, String prefix, String suffix) {
        int n = 0;
        while (sd.contains(prefix + n + suffix)) {
            n++;
        }
        if (n == 0) {
            throw new IllegalArgumentException("cannot infer the model sizes: tensor '" + prefix + "0" + suffix + "' is missing");
        }
        return n;
    }

    /**
     * Every tensor of SAM's state dict for these sizes, in the official order, with its shape.
     * Prefixes: {@code image_encoder.}, {@code prompt_encoder.}, {@code mask_decoder.}.
     */
    public Map<String, Shape> expectedShapes() {
        Map<String, Shape> m = new LinkedHashMap<>();
        int e = encoderEmbedDim;
        int t = embeddingSize();
        m.put("image_encoder.pos_embed", new Shape(1, t, t, e));
        m.put("image_encoder.patch_embed.proj.weight", new Shape(e, 3, patchSize, patchSize));
        m.put("image_encoder.patch_embed.proj.bias", new Shape(e));
        int headDim = e / encoderNumHeads;
        int mlp = (int) (e * mlpRatio);
        for (int i = 0; i < encoderDepth; i++) {
            String p = "image_encoder.blocks." + i + ".";
            int side = isGlobal(i) ? t : windowSize;
            m.put(p + "norm1.weight", new Shape(e));
            m.put(p + "norm1.bias", new Shape(e));
            m.put(p + "attn.rel_pos_h", new Shape(2L * side - 1, headDim));
            m.put(p + "attn.rel_pos_w", new Shape(2L * side - 1, headDim));
            m.put(p + "attn.qkv.weight", new Shape(3L * e, e));
            m.put(p + "attn.qkv.bias", new Shape(3L * e));
            m.put(p + "attn.proj.weight", new Shape(e, e));
            m.put(p + "attn.proj.bias", new Shape(e));
            m.put(p + "norm2.weight", new Shape(e));
            m.put(p + "norm2.bias", new Shape(e));
            m.put(p + "mlp.lin1.weight", new Shape(mlp, e));
            m.put(p + "mlp.lin1.bias", new Shape(mlp));
            m.put(p + "mlp.lin2.weight", new Shape(e, mlp));
            m.put(p + "mlp.lin2.bias", new Shape(e));
        }
        int d = promptEmbedDim;
        m.put("image_encoder.neck.0.weight", new Shape(d, e, 1, 1));
        m.put("image_encoder.neck.1.weight", new Shape(d));
        m.put("image_encoder.neck.1.bias", new Shape(d));
        m.put("image_encoder.neck.2.weight", new Shape(d, d, 3, 3));
        m.put("image_encoder.neck.3.weight", new Shape(d));
        m.put("image_encoder.neck.3.bias", new Shape(d));

        m.put("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix", new Shape(2, d / 2));
        for (int i = 0; i < 4; i++) {
            m.put("prompt_encoder.point_embeddings." + i + ".weight", new Shape(1, d));
        }
        m.put("prompt_encoder.not_a_point_embed.weight", new Shape(1, d));
        int mi = maskInChans;
        m.put("prompt_encoder.mask_downscaling.0.weight", new Shape(mi / 4, 1, 2, 2));
        m.put("prompt_encoder.mask_downscaling.0.bias", new Shape(mi / 4));
        m.put("prompt_encoder.mask_downscaling.1.weight", new Shape(mi / 4));
        m.put("prompt_encoder.mask_downscaling.1.bias", new Shape(mi / 4));
        m.put("prompt_encoder.mask_downscaling.3.weight", new Shape(mi, mi / 4, 2, 2));
        m.put("prompt_encoder.mask_downscaling.3.bias", new Shape(mi));
        m.put("prompt_encoder.mask_downscaling.4.weight", new Shape(mi));
        m.put("prompt_encoder.mask_downscaling.4.bias", new Shape(mi));
        m.put("prompt_encoder.mask_downscaling.6.weight", new Shape(d, mi, 1, 1));
        m.put("prompt_encoder.mask_downscaling.6.bias", new Shape(d));
        m.put("prompt_encoder.no_mask_embed.weight", new Shape(1, d));

        m.putAll(decoderShapes());
        return m;
    }

    /** The {@code mask_decoder.*} part of {@link #expectedShapes()}: the trainable parameters. */
    public Map<String, Shape> decoderShapes() {
        Map<String, Shape> m = new LinkedHashMap<>();
        int d = promptEmbedDim;
        for (int i = 0; i < decoderDepth; i++) {
            String p = "mask_decoder.transformer.layers." + i + ".";
            attention(m, p + "self_attn.", d, d);
            norm(m, p + "norm1", d);
            attention(m, p + "cross_attn_token_to_image.", d, d / 2);
            norm(m, p + "norm2", d);
            linear(m, p + "mlp.lin1", decoderMlpDim, d);
            linear(m, p + "mlp.lin2", d, decoderMlpDim);
            norm(m, p + "norm3", d);
            norm(m, p + "norm4", d);
            attention(m, p + "cross_attn_image_to_token.", d, d / 2);
        }
        attention(m, "mask_decoder.transformer.final_attn_token_to_image.", d, d / 2);
        norm(m, "mask_decoder.transformer.norm_final_attn", d);
        m.put("mask_decoder.iou_token.weight", new Shape(1, d));
        m.put("mask_decoder.mask_tokens.weight", new Shape(numMaskTokens(), d));
        m.put("mask_decoder.output_upscaling.0.weight", new Shape(d, d / 4, 2, 2));
        m.put("mask_decoder.output_upscaling.0.bias", new Shape(d / 4));
        norm(m, "mask_decoder.output_upscaling.1", d / 4);
        m.put("mask_decoder.output_upscaling.3.weight", new Shape(d / 4, d / 8, 2, 2));
        m.put("mask_decoder.output_upscaling.3.bias", new Shape(d / 8));
        for (int i = 0; i < numMaskTokens(); i++) {
            String p = "mask_decoder.output_hypernetworks_mlps." + i + ".layers.";
            linear(m, p + "0", d, d);
            linear(m, p + "1", d, d);
            linear(m, p + "2", d / 8, d);
        }
        for (int i = 0; i < iouHeadDepth; i++) {
            int in = i == 0 ? d : iouHeadHiddenDim;
            int out = i == iouHeadDepth - 1 ? numMaskTokens() : iouHeadHiddenDim;
            linear(m, "mask_decoder.iou_prediction_head.layers." + i, out, in);
        }
        return m;
    }

    private static void attention(Map<String, Shape> m, String p, int dim, int internal) {
        linear(m, p + "q_proj", internal, dim);
        linear(m, p + "k_proj", internal, dim);
        linear(m, p + "v_proj", internal, dim);
        linear(m, p + "out_proj", dim, internal);
    }

    private static void linear(Map<String, Shape> m, String p, int out, int in) {
        m.put(p + ".weight", new Shape(out, in));
        m.put(p + ".bias", new Shape(out));
    }

    private static void norm(Map<String, Shape> m, String p, int dim) {
        m.put(p + ".weight", new Shape(dim));
        m.put(p + ".bias", new Shape(dim));
    }

    /** A builder starting from these sizes. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "SamConfig[image %d, patch %d, encoder %d x %d blocks x %d heads, global %s,"
                        + " window %d, mlp ratio %s, prompt dim %d, mask_in_chans %d, decoder %d layers x %d heads, mlp %d,"
                        + " iou head %d x %d, %d multimask outputs, eps %s]", imageSize, patchSize, encoderEmbedDim,
                encoderDepth, encoderNumHeads, encoderGlobalAttnIndexes, windowSize, mlpRatio, promptEmbedDim, maskInChans,
                decoderDepth, decoderNumHeads, decoderMlpDim, iouHeadDepth, iouHeadHiddenDim, numMultimaskOutputs,
                layerNormEps);
    }

    /** Builds a {@link SamConfig}; every setting is optional and starts from the config it came from. */
    public static final class Builder {
        private int imageSize;
        private int patchSize;
        private int encoderEmbedDim;
        private int encoderDepth;
        private int encoderNumHeads;
        private List<Integer> encoderGlobalAttnIndexes;
        private int windowSize;
        private double mlpRatio;
        private int promptEmbedDim;
        private int maskInChans;
        private int decoderDepth;
        private int decoderNumHeads;
        private int decoderMlpDim;
        private int iouHeadDepth;
        private int iouHeadHiddenDim;
        private int numMultimaskOutputs;
        private double layerNormEps;

        private Builder(SamConfig c) {
            imageSize = c.imageSize;
            patchSize = c.patchSize;
            encoderEmbedDim = c.encoderEmbedDim;
            encoderDepth = c.encoderDepth;
            encoderNumHeads = c.encoderNumHeads;
            encoderGlobalAttnIndexes = c.encoderGlobalAttnIndexes;
            windowSize = c.windowSize;
            mlpRatio = c.mlpRatio;
            promptEmbedDim = c.promptEmbedDim;
            maskInChans = c.maskInChans;
            decoderDepth = c.decoderDepth;
            decoderNumHeads = c.decoderNumHeads;
            decoderMlpDim = c.decoderMlpDim;
            iouHeadDepth = c.iouHeadDepth;
            iouHeadHiddenDim = c.iouHeadHiddenDim;
            numMultimaskOutputs = c.numMultimaskOutputs;
            layerNormEps = c.layerNormEps;
        }

        /** Model input side, pixels. */
        public Builder optImageSize(int v) {
            imageSize = v;
            return this;
        }

        /** Patch side, pixels. */
        public Builder optPatchSize(int v) {
            patchSize = v;
            return this;
        }

        /** ViT width. */
        public Builder optEncoderEmbedDim(int v) {
            encoderEmbedDim = v;
            return this;
        }

        /** ViT blocks. */
        public Builder optEncoderDepth(int v) {
            encoderDepth = v;
            return this;
        }

        /** ViT heads. */
        public Builder optEncoderNumHeads(int v) {
            encoderNumHeads = v;
            return this;
        }

        /** Blocks with global attention, 0-based. */
        public Builder optEncoderGlobalAttnIndexes(List<Integer> v) {
            encoderGlobalAttnIndexes = v;
            return this;
        }

        /** Attention window side, tokens. */
        public Builder optWindowSize(int v) {
            windowSize = v;
            return this;
        }

        /** ViT MLP ratio. */
        public Builder optMlpRatio(double v) {
            mlpRatio = v;
            return this;
        }

        /** Prompt / decoder width. */
        public Builder optPromptEmbedDim(int v) {
            promptEmbedDim = v;
            return this;
        }

        /** Mask-prompt channels. */
        public Builder optMaskInChans(int v) {
            maskInChans = v;
            return this;
        }

        /** Decoder layers. */
        public Builder optDecoderDepth(int v) {
            decoderDepth = v;
            return this;
        }

        /** Decoder heads. */
        public Builder optDecoderNumHeads(int v) {
            decoderNumHeads = v;
            return this;
        }

        /** Decoder MLP width. */
        public Builder optDecoderMlpDim(int v) {
            decoderMlpDim = v;
            return this;
        }

        /** IoU head layers. */
        public Builder optIouHeadDepth(int v) {
            iouHeadDepth = v;
            return this;
        }

        /** IoU head width. */
        public Builder optIouHeadHiddenDim(int v) {
            iouHeadHiddenDim = v;
            return this;
        }

        /** Multimask outputs. */
        public Builder optNumMultimaskOutputs(int v) {
            numMultimaskOutputs = v;
            return this;
        }

        /** LayerNorm epsilon of the encoder and LayerNorm2d. */
        public Builder optLayerNormEps(double v) {
            layerNormEps = v;
            return this;
        }

        /** Validates and builds. */
        public SamConfig build() {
            return new SamConfig(imageSize, patchSize, encoderEmbedDim, encoderDepth, encoderNumHeads,
                    encoderGlobalAttnIndexes, windowSize, mlpRatio, promptEmbedDim, maskInChans, decoderDepth,
                    decoderNumHeads, decoderMlpDim, iouHeadDepth, iouHeadHiddenDim, numMultimaskOutputs, layerNormEps);
        }
    }
}
