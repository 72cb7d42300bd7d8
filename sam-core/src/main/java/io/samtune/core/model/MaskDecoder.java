package io.samtune.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import io.samtune.core.SamConfig;
import io.samtune.core.checkpoint.StateDict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SAM's mask decoder: a two-way transformer between prompt tokens and the image embedding, then
 * transposed-convolution upscaling and one hypernetwork MLP per mask token. Its parameters are the
 * {@code mask_decoder.*} tensors of the state dict and are the ones fine-tuning trains.
 */
public final class MaskDecoder {

    private static final String P = "mask_decoder.";

    private final SamConfig config;
    private final StateDict weights;

    /**
     * @param config model sizes
     * @param weights a state dict holding every {@code mask_decoder.*} tensor (checked by the caller)
     */
    public MaskDecoder(SamConfig config, StateDict weights) {
        this.config = config;
        this.weights = weights;
    }

    /** The decoder's parameters by state-dict name, in the official order. */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        for (String k : config.decoderShapes().keySet()) {
            m.put(k, weights.get(k));
        }
        return m;
    }

    /** The low-resolution masks and IoU predictions of one decoder call. */
    public record Output(NDArray lowResLogits, NDArray iouPredictions) {
    }

    /**
     * Predicts masks.
     *
     * @param imageEmbeddings (1, D, h, w) shared by every prompt, or (B, D, h, w), one per prompt
     * @param imagePe dense positional encoding, (1, D, h, w)
     * @param sparse prompt tokens, (B, N, D)
     * @param dense dense prompt embeddings, (B, D, h, w)
     * @param multimask true for the {@code numMultimaskOutputs} masks, false for the single mask
     * @return low-res logits (B, C, 4h, 4w) and IoU predictions (B, C), C = 3 or 1
     */
    public Output forward(NDArray imageEmbeddings, NDArray imagePe, NDArray sparse, NDArray dense, boolean multimask) {
        long b = sparse.getShape().get(0);
        int d = config.promptEmbedDim();
        int t = config.numMaskTokens();
        NDArray outputTokens = Layers.local(sparse, NDArrays.concat(new NDList(w("iou_token.weight"),
                w("mask_tokens.weight")), 0));
        NDArray tokens = outputTokens.expandDims(0).broadcast(b, 1 + t, d).concat(sparse, 1);

        // embeddings and PE may be cached in a long-lived manager: keep what is derived from them local
        NDArray src = imageEmbeddings.getShape().get(0) == b ? imageEmbeddings : imageEmbeddings.repeat(0, b);
        src = Layers.local(sparse, src.add(dense));
        NDArray posSrc = Layers.local(sparse, imagePe.repeat(0, b));
        long[] s = src.getShape().getShape();
        long h = s[2];
        long wd = s[3];

        NDArray[] hsAndKeys = transformer(src, posSrc, tokens);
        NDArray hs = hsAndKeys[0];
        NDArray keys = hsAndKeys[1];
        NDArray iouTokenOut = hs.get(new NDIndex(":, 0, :"));
        NDArray maskTokensOut = hs.get(new NDIndex(":, 1:{}, :", 1 + t));

        NDArray img = keys.transpose(0, 2, 1).reshape(b, d, h, wd);
        NDArray up = Layers.convTranspose2x2(img, w("output_upscaling.0.weight"), w("output_upscaling.0.bias"));
        up = Layers.gelu(Layers.layerNorm2d(up, w("output_upscaling.1.weight"), w("output_upscaling.1.bias"),
                config.layerNormEps()));
        up = Layers.gelu(Layers.convTranspose2x2(up, w("output_upscaling.3.weight"), w("output_upscaling.3.bias")));

        List<NDArray> hyper = new ArrayList<>();
        for (int i = 0; i < t; i++) {
            hyper.add(mlp(maskTokensOut.get(new NDIndex(":, {}, :", i)), "output_hypernetworks_mlps." + i + ".layers.", 3));
        }
        NDArray hyperIn = NDArrays.stack(new NDList(hyper), 1);
        long[] us = up.getShape().getShape();
        NDArray masks = hyperIn.matMul(up.reshape(us[0], us[1], us[2] * us[3])).reshape(us[0], -1, us[2], us[3]);
        NDArray iou = mlp(iouTokenOut, "iou_prediction_head.layers.", config.iouHeadDepth());

        if (multimask) {
            return new Output(masks.get(new NDIndex(":, 1:, :, :")), iou.get(new NDIndex(":, 1:")));
        }
        return new Output(masks.get(new NDIndex(":, 0:1, :, :")), iou.get(new NDIndex(":, 0:1")));
    }

    private NDArray[] transformer(NDArray imageEmbedding, NDArray imagePe, NDArray pointEmbedding) {
        long[] s = imageEmbedding.getShape().getShape();
        NDArray keys = imageEmbedding.reshape(s[0], s[1], s[2] * s[3]).transpose(0, 2, 1);
        NDArray keyPe = imagePe.reshape(s[0], s[1], s[2] * s[3]).transpose(0, 2, 1);
        NDArray queries = pointEmbedding;
        double eps = SamConfig.DECODER_LAYER_NORM_EPS;
        for (int i = 0; i < config.decoderDepth(); i++) {
            String p = "transformer.layers." + i + ".";
            if (i == 0) {
                queries = attention(queries, queries, queries, p + "self_attn.");
            } else {
                NDArray q = queries.add(pointEmbedding);
                queries = queries.add(attention(q, q, queries, p + "self_attn."));
            }
            queries = norm(queries, p + "norm1", eps);

            NDArray q = queries.add(pointEmbedding);
            NDArray k = keys.add(keyPe);
            queries = norm(queries.add(attention(q, k, keys, p + "cross_attn_token_to_image.")), p + "norm2", eps);

            NDArray mlpOut = Layers.linear(Activation.relu(Layers.linear(queries, w(p + "mlp.lin1.weight"),
                    w(p + "mlp.lin1.bias"))), w(p + "mlp.lin2.weight"), w(p + "mlp.lin2.bias"));
            queries = norm(queries.add(mlpOut), p + "norm3", eps);

            q = queries.add(pointEmbedding);
            k = keys.add(keyPe);
            keys = norm(keys.add(attention(k, q, queries, p + "cross_attn_image_to_token.")), p + "norm4", eps);
        }
        NDArray q = queries.add(pointEmbedding);
        NDArray k = keys.add(keyPe);
        queries = queries.add(attention(q, k, keys, "transformer.final_attn_token_to_image."));
        queries = norm(queries, "transformer.norm_final_attn", eps);
        return new NDArray[] {queries, keys};
    }

    private NDArray attention(NDArray q, NDArray k, NDArray v, String p) {
        int heads = config.decoderNumHeads();
        NDArray qh = separateHeads(Layers.linear(q, w(p + "q_proj.weight"), w(p + "q_proj.bias")), heads);
        NDArray kh = separateHeads(Layers.linear(k, w(p + "k_proj.weight"), w(p + "k_proj.bias")), heads);
        NDArray vh = separateHeads(Layers.linear(v, w(p + "v_proj.weight"), w(p + "v_proj.bias")), heads);
        long c = qh.getShape().get(3);
        NDArray attn = qh.matMul(kh.transpose(0, 1, 3, 2));
        attn = attn.div(Layers.scalar(attn, Math.sqrt(c))).softmax(-1);
        NDArray out = attn.matMul(vh);
        long[] os = out.getShape().getShape();
        out = out.transpose(0, 2, 1, 3).reshape(os[0], os[2], os[1] * os[3]);
        return Layers.linear(out, w(p + "out_proj.weight"), w(p + "out_proj.bias"));
    }

    private static NDArray separateHeads(NDArray x, int heads) {
        long[] s = x.getShape().getShape();
        return x.reshape(s[0], s[1], heads, s[2] / heads).transpose(0, 2, 1, 3);
    }

    private NDArray norm(NDArray x, String p, double eps) {
        return Layers.layerNorm(x, w(p + ".weight"), w(p + ".bias"), eps);
    }

    private NDArray mlp(NDArray x, String p, int layers) {
        NDArray y = x;
        for (int i = 0; i < layers; i++) {
            y = Layers.linear(y, w(p + i + ".weight"), w(p + i + ".bias"));
            if (i < layers - 1) {
                y = Activation.relu(y);
            }
        }
        return y;
    }

    private NDArray w(String name) {
        return weights.get(P + name);
    }

    @Override
    public String toString() {
        return "MaskDecoder[" + config.decoderDepth() + " layers, dim " + config.promptEmbedDim() + ", "
                + config.numMaskTokens() + " mask tokens]";
    }
}
