package io.samtune.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.samtune.core.SamConfig;
import io.samtune.core.checkpoint.StateDict;

/**
 * SAM's prompt encoder: random-Fourier positional encoding of points and box corners plus learned
 * type embeddings (sparse tokens), and a small convolutional downscaler for mask prompts (dense
 * embedding). Coordinates are in the model-input frame (pixels of the resized, padded image).
 */
public final class PromptEncoder {

    private static final String P = "prompt_encoder.";

    private final SamConfig config;
    private final StateDict weights;

    /**
     * @param config model sizes
     * @param weights a state dict holding every {@code prompt_encoder.*} tensor
     */
    public PromptEncoder(SamConfig config, StateDict weights) {
        this.config = config;
        this.weights = weights;
    }

    /** Sparse and dense prompt embeddings. */
    public record Embeddings(NDArray sparse, NDArray dense) {
    }

    /**
     * The positional encoding of every embedding cell: (1, D, h, w), in {@code manager}.
     */
    public NDArray densePe(NDManager manager) {
        int h = config.embeddingSize();
        int w = config.embeddingSize();
        float[] grid = new float[h * w * 2];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // cumsum(ones) - 0.5, then / size, in float32 as PyTorch computes it
                grid[(y * w + x) * 2] = ((float) (x + 1) - 0.5f) / w;
                grid[(y * w + x) * 2 + 1] = ((float) (y + 1) - 0.5f) / h;
            }
        }
        NDArray pe = peEncoding(manager.create(grid, new ai.djl.ndarray.types.Shape(h, w, 2)));
        return pe.transpose(2, 0, 1).expandDims(0);
    }

    /**
     * Embeds prompts; at least one of points, boxes and masks must be given. Point labels: 1
     * foreground, 0 background, -1 padding. Without boxes a padding point is appended, as SAM does.
     *
     * @param pointCoords (B, N, 2) x, y in the model-input frame, or null
     * @param pointLabels (B, N), or null with no points
     * @param boxes (B, 4) x0, y0, x1, y1 in the model-input frame, or null
     * @param masks (B, 1, 4h, 4w) low-res mask logits, or null
     * @return sparse (B, N', D) and dense (B, D, h, w) embeddings
     */
    public Embeddings forward(NDArray pointCoords, NDArray pointLabels, NDArray boxes, NDArray masks) {
        NDArray any = pointCoords != null ? pointCoords : boxes != null ? boxes : masks;
        if (any == null) {
            throw new IllegalArgumentException("give at least one prompt: points, a box or a mask");
        }
        NDManager manager = any.getManager();
        long b = any.getShape().get(0);
        int d = config.promptEmbedDim();
        NDList sparse = new NDList();
        if (pointCoords != null) {
            sparse.add(embedPoints(pointCoords, pointLabels, boxes == null));
        }
        if (boxes != null) {
            sparse.add(embedBoxes(boxes));
        }
        NDArray sparseEmb = sparse.isEmpty() ? manager.zeros(new ai.djl.ndarray.types.Shape(b, 0, d))
                : sparse.size() == 1 ? sparse.get(0) : NDArrays.concat(sparse, 1);
        NDArray dense;
        if (masks != null) {
            dense = embedMasks(masks);
        } else {
            int h = config.embeddingSize();
            dense = Layers.local(sparseEmb, w("no_mask_embed.weight").reshape(1, d, 1, 1)).broadcast(b, d, h, h);
        }
        return new Embeddings(sparseEmb, dense);
    }

    private NDArray embedPoints(NDArray coords, NDArray labels, boolean pad) {
        NDArray points = coords.add(0.5f);
        NDArray lab = labels.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        if (pad) {
            long b = points.getShape().get(0);
            NDManager m = points.getManager();
            points = points.concat(m.zeros(new ai.djl.ndarray.types.Shape(b, 1, 2)), 1);
            lab = lab.concat(m.full(new ai.djl.ndarray.types.Shape(b, 1), -1f), 1);
        }
        NDArray pe = forwardWithCoords(points);
        NDArray l = lab.expandDims(-1);
        NDArray isPad = l.eq(-1f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        NDArray isNeg = l.eq(0f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        NDArray isPos = l.eq(1f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        // pe[labels == -1] = 0 then += not_a_point; pe[labels == 0] += point_embeddings[0]; [1] likewise
        NDArray out = pe.mul(isPad.neg().add(1f));
        out = out.add(isPad.mul(w("not_a_point_embed.weight")));
        out = out.add(isNeg.mul(w("point_embeddings.0.weight")));
        return out.add(isPos.mul(w("point_embeddings.1.weight")));
    }

    private NDArray embedBoxes(NDArray boxes) {
        NDArray corners = boxes.add(0.5f).reshape(-1, 2, 2);
        NDArray pe = forwardWithCoords(corners);
        NDArray cornerTypes = Layers.local(pe, NDArrays.concat(new NDList(w("point_embeddings.2.weight"),
                w("point_embeddings.3.weight")), 0));
        return pe.add(cornerTypes);
    }

    private NDArray embedMasks(NDArray masks) {
        double eps = config.layerNormEps();
        NDArray x = Layers.conv2d(masks, w("mask_downscaling.0.weight"), w("mask_downscaling.0.bias"), 2, 0);
        x = Layers.gelu(Layers.layerNorm2d(x, w("mask_downscaling.1.weight"), w("mask_downscaling.1.bias"), eps));
        x = Layers.conv2d(x, w("mask_downscaling.3.weight"), w("mask_downscaling.3.bias"), 2, 0);
        x = Layers.gelu(Layers.layerNorm2d(x, w("mask_downscaling.4.weight"), w("mask_downscaling.4.bias"), eps));
        return Layers.conv2d(x, w("mask_downscaling.6.weight"), w("mask_downscaling.6.bias"), 1, 0);
    }

    private NDArray forwardWithCoords(NDArray coords) {
        // x / image width, y / image height; the model input is square
        return peEncoding(coords.div(config.imageSize()));
    }

    private NDArray peEncoding(NDArray coords01) {
        NDArray c = coords01.mul(2).sub(1).matMul(w("pe_layer.positional_encoding_gaussian_matrix"));
        c = c.mul(2 * Math.PI);
        return c.sin().concat(c.cos(), -1);
    }

    private NDArray w(String name) {
        return weights.get(P + name);
    }

    @Override
    public String toString() {
        return "PromptEncoder[dim " + config.promptEmbedDim() + ", mask_in_chans " + config.maskInChans() + "]";
    }
}
