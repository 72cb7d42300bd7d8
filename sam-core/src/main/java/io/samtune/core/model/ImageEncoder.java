package io.samtune.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.samtune.core.SamConfig;
import io.samtune.core.checkpoint.StateDict;

/**
 * SAM's image encoder: a ViT (patch embedding, absolute position embedding, blocks with windowed or
 * global attention and decomposed relative positions) and a convolutional neck to the image
 * embedding. Its own weights are frozen; {@link LoraConfig LoRA adapters} on the qkv projections of
 * chosen blocks, read from the weights by name at every use, may be trained: {@link #blockInput}
 * runs the frozen part before the first adapted block (what the block cache keeps), {@link #trainFrom}
 * the rest on autograd's tape.
 */
public final class ImageEncoder implements AutoCloseable {

    private static final String P = "image_encoder.";
    /** Largest attention map computed at once by default, in elements (32 MB of float32). */
    static final long DEFAULT_ATTENTION_CHUNK = 8L << 20;

    private final SamConfig config;
    private final StateDict weights;
    /** Per block: the relative-position tables gathered for its query/key sizes, (q, k, C) each. */
    private final NDArray[] relH;
    private final NDArray[] relW;
    private final NDManager tables;
    private final long attentionChunk;
    /** The type the encoder computes in; its weights are copied to it once when not float32. */
    private final DataType precision;
    private final java.util.Map<String, NDArray> converted = new java.util.HashMap<>();
    /**
     * The per-token linear layers' weights as (out, in, 1, 1) kernels, when they run as 1x1
     * convolutions (float32 on a CPU); empty otherwise.
     */
    private final java.util.Map<String, NDArray> kernels = new java.util.HashMap<>();
    /** The adapters, or null; and the blocks they adapt. */
    private volatile LoraConfig adapters;
    private volatile java.util.Set<Integer> adapted = java.util.Set.of();

    /**
     * @param config model sizes
     * @param weights a state dict holding every {@code image_encoder.*} tensor
     */
    public ImageEncoder(SamConfig config, StateDict weights) {
        this(config, weights, DataType.FLOAT32);
    }

    /**
     * An encoder computing in another precision: float16 (meant for GPUs; on a CPU it is slower
     * than float32). Input and output stay float32.
     *
     * @param precision FLOAT32 or FLOAT16 (see {@link #checkPrecision})
     */
    public ImageEncoder(SamConfig config, StateDict weights, DataType precision) {
        this(config, weights, DEFAULT_ATTENTION_CHUNK, precision);
    }

    /** As {@link #ImageEncoder(SamConfig, StateDict)}, with the attention chunk size in elements. */
    ImageEncoder(SamConfig config, StateDict weights, long attentionChunk) {
        this(config, weights, attentionChunk, DataType.FLOAT32);
    }

    private ImageEncoder(SamConfig config, StateDict weights, long attentionChunk, DataType precision) {
        checkPrecision(precision);
        this.attentionChunk = attentionChunk;
        this.config = config;
        this.weights = weights;
        this.precision = precision;
        this.tables = weights.manager().newSubManager();
        if (precision != DataType.FLOAT32) {
            for (String k : weights.keys()) {
                if (k.startsWith(P)) {
                    NDArray low = weights.get(k).toType(precision, true);
                    low.attach(tables);
                    converted.put(k, low);
                }
            }
        }
        int depth = config.encoderDepth();
        if (precision == DataType.FLOAT32 && !weights.get(P + "pos_embed").getDevice().isGpu()) {
            for (int i = 0; i < depth; i++) {
                for (String layer : new String[] {"attn.qkv", "attn.proj", "mlp.lin1", "mlp.lin2"}) {
                    String name = "blocks." + i + "." + layer;
                    NDArray weight = w(name + ".weight");
                    NDArray kernel = weight.reshape(weight.getShape().get(0), weight.getShape().get(1), 1, 1);
                    kernel.attach(tables);
                    kernels.put(name, kernel);
                }
            }
        }
        relH = new NDArray[depth];
        relW = new NDArray[depth];
        for (int i = 0; i < depth; i++) {
            int side = config.isGlobal(i) ? config.embeddingSize() : config.windowSize();
            relH[i] = relativePositions(side, side, weights.get(P + "blocks." + i + ".attn.rel_pos_h"));
            relW[i] = relativePositions(side, side, weights.get(P + "blocks." + i + ".attn.rel_pos_w"));
        }
    }

    /**
     * {@code get_rel_pos}: the embedding of each query/key offset, resizing the table linearly when
     * the checkpoint was trained for another size.
     *
     * @return (q, k, C), with the model's weights as its parent manager
     */
    private NDArray relativePositions(int q, int k, NDArray relPos) {
        int maxDist = 2 * Math.max(q, k) - 1;
        NDArray table = relPos;
        if (relPos.getShape().get(0) != maxDist) {
            // F.interpolate(mode="linear") along the length = bilinear on a (1, C, L, 1) image
            long len = relPos.getShape().get(0);
            long c = relPos.getShape().get(1);
            NDArray img = relPos.transpose(1, 0).reshape(1, c, len, 1);
            table = img.getNDArrayInternal().interpolation(new long[] {maxDist, 1}, 1, false)
                    .reshape(c, maxDist).transpose(1, 0);
        }
        float[] t = table.toType(DataType.FLOAT32, false).toFloatArray();
        int c = (int) table.getShape().get(1);
        float[] out = new float[q * k * c];
        float qScale = (float) Math.max((double) k / q, 1.0);
        float kScale = (float) Math.max((double) q / k, 1.0);
        for (int i = 0; i < q; i++) {
            for (int j = 0; j < k; j++) {
                int idx = (int) (i * qScale - j * kScale + (k - 1) * kScale);
                System.arraycopy(t, idx * c, out, (i * k + j) * c, c);
            }
        }
        NDArray positions = tables.create(out, new Shape(q, k, c));
        if (precision == DataType.FLOAT32) {
            return positions;
        }
        NDArray low = positions.toType(precision, true);
        low.attach(tables);
        positions.close();
        return low;
    }

    /**
     * Refuses a precision the encoder cannot compute in. bfloat16 is refused by name: the PyTorch
     * engine's native library aborts the whole process on creating a bfloat16 array.
     *
     * @throws IllegalArgumentException naming what to use instead
     */
    public static void checkPrecision(DataType precision) {
        if (precision == DataType.BFLOAT16) {
            throw new IllegalArgumentException("bfloat16 is not available: DJL's PyTorch engine aborts the process on"
                    + " bfloat16 arrays; use float16 (or float32)");
        }
        if (precision != DataType.FLOAT32 && precision != DataType.FLOAT16) {
            throw new IllegalArgumentException("encoder precision must be float32 or float16, not " + precision);
        }
    }

    /** The type this encoder computes in. */
    public DataType precision() {
        return precision;
    }

    /**
     * Encodes images.
     *
     * @param x normalised, padded model input (B, 3, S, S), S = the config's image size
     * @return the image embedding (B, D, S/16, S/16), float32
     */
    public NDArray forward(NDArray x) {
        if (precision != DataType.FLOAT32) {
            NDArray low = x.toType(precision, false);
            NDArray out = compute(low);
            NDArray full = out.toType(DataType.FLOAT32, false);
            out.close();
            low.close();
            return full;
        }
        return compute(x);
    }

    private NDArray compute(NDArray x) {
        return neck(blocks(stem(x), 0, false));
    }

    /**
     * Sets the adapters read at every forward pass (their tensors must be in the weights under
     * {@link LoraConfig#shapes}' names), or removes them (null).
     */
    public void setAdapters(LoraConfig lora) {
        adapted = lora == null ? java.util.Set.of() : java.util.Set.copyOf(lora.blockIndexes(config));
        adapters = lora;
    }

    /** The adapters, or null. */
    public LoraConfig adapters() {
        return adapters;
    }

    /**
     * The tokens entering block {@code first}: patch embedding, position embedding and the blocks
     * before it, none of them adapted (frozen).
     *
     * @param x normalised, padded model input (B, 3, S, S)
     * @param first a block index, 0 to the depth (the depth: every block, before the neck)
     * @return (B, S/16, S/16, C) float32
     */
    public NDArray blockInput(NDArray x, int first) {
        checkFirst(first);
        for (int b : adapted) {
            if (b < first) {
                throw new IllegalArgumentException("block " + b + " is adapted; the frozen part ends before it, not at "
                        + first);
            }
        }
        NDArray low = precision == DataType.FLOAT32 ? x : x.toType(precision, false);
        NDArray h = stem(low);
        for (int i = 0; i < first; i++) {
            h = blockScoped(h, i, false);
        }
        return precision == DataType.FLOAT32 ? h : h.toType(DataType.FLOAT32, false);
    }

    /**
     * The image embedding from the tokens entering block {@code first} (the rest of the blocks,
     * adapted ones with their adapters, and the neck), without gradients: equal to {@link #forward}
     * of the image those tokens came from.
     *
     * @param tokens (B, S/16, S/16, C) from {@link #blockInput}
     */
    public NDArray forwardFrom(NDArray tokens, int first) {
        return from(tokens, first, false);
    }

    /**
     * As {@link #forwardFrom}, on autograd's tape: nothing is changed in place, so the adapters (and
     * whatever else requires a gradient) receive their gradients from a backward pass.
     */
    public NDArray trainFrom(NDArray tokens, int first) {
        return from(tokens, first, true);
    }

    private NDArray from(NDArray tokens, int first, boolean tape) {
        checkFirst(first);
        NDArray low = precision == DataType.FLOAT32 ? tokens : tokens.toType(precision, false);
        NDArray out = neck(blocks(low, first, tape));
        return precision == DataType.FLOAT32 ? out : out.toType(DataType.FLOAT32, false);
    }

    private void checkFirst(int first) {
        if (first < 0 || first > config.encoderDepth()) {
            throw new IllegalArgumentException("block " + first + " is outside the encoder's " + config.encoderDepth()
                    + " blocks");
        }
    }

    /** Patch embedding and absolute position embedding: (B, 3, S, S) to (B, S/16, S/16, C). */
    private NDArray stem(NDArray x) {
        NDArray h = Layers.conv2d(x, w("patch_embed.proj.weight"), w("patch_embed.proj.bias"), config.patchSize(), 0)
                .transpose(0, 2, 3, 1);
        return h.add(w("pos_embed"));
    }

    /** Blocks {@code from} to the last. */
    private NDArray blocks(NDArray h, int from, boolean tape) {
        for (int i = from; i < config.encoderDepth(); i++) {
            h = tape ? block(h, i, true) : blockScoped(h, i, false);
        }
        return h;
    }

    private NDArray neck(NDArray h) {
        NDArray n = h.transpose(0, 3, 1, 2);
        double eps = config.layerNormEps();
        n = Layers.conv2d(n, w("neck.0.weight"), null, 1, 0);
        n = Layers.layerNorm2d(n, w("neck.1.weight"), w("neck.1.bias"), eps);
        n = Layers.conv2d(n, w("neck.2.weight"), null, 1, 1);
        return Layers.layerNorm2d(n, w("neck.3.weight"), w("neck.3.bias"), eps);
    }

    /**
     * Runs a block in its own manager so its intermediates (a global block of ViT-B makes several
     * 800 MB attention maps) are freed as soon as the block is done, not when the whole pass is.
     */
    private NDArray blockScoped(NDArray x, int i, boolean tape) {
        NDManager parent = x.getManager();
        try (NDManager scope = parent.newSubManager()) {
            x.tempAttach(scope);
            NDArray y = block(x, i, tape);
            y.attach(parent);
            return y;
        }
    }

    /**
     * One block. Off the tape ({@code tape} false) sums go in place into fresh arrays; on it every
     * operation makes a new array, as autograd needs.
     */
    private NDArray block(NDArray x, int i, boolean tape) {
        String p = "blocks." + i + ".";
        String a = p + "attn.";
        double eps = config.layerNormEps();
        NDArray h = Layers.layerNorm(x, w(p + "norm1.weight"), w(p + "norm1.bias"), eps);
        if (config.isGlobal(i)) {
            NDArray qkv = qkv(h, i, true);
            long[] s = qkv.getShape().getShape();
            int heads = config.encoderNumHeads();
            // (b, h x w, 3, heads, hd) -> (3, b, heads, h x w, hd), a view
            NDArray split = qkv.reshape(s[0], s[1] * s[2], 3, heads, -1).transpose(2, 0, 3, 1, 4);
            h = attention(split, s[1], s[2], i, tape).transpose(0, 2, 1, 3).reshape(s[0], s[1], s[2], s[3] / 3);
        } else {
            long[] s = h.getShape().getShape();
            int ws = config.windowSize();
            long padH = (ws - s[1] % ws) % ws;
            long padW = (ws - s[2] % ws) % ws;
            // The grid is padded with zero tokens, whose qkv is the bias alone: the product runs on
            // the grid's own tokens and the bias is added after padding. The output projection, per
            // token too, runs once the padding is cut off again.
            NDArray split = windowHeads(qkv(h, i, false), w(a + "qkv.bias"), ws, padH, padW, tape);
            h = unpartition(attention(split, ws, ws, i, tape), ws, s[0], s[1] + padH, s[2] + padW, s[1], s[2]);
        }
        NDArray proj = pointwise(h, a + "proj", true);
        // off the tape, added in place to the fresh projection: no autograd needs it
        NDArray y = tape ? proj.add(x) : proj.addi(x);
        NDArray m = Layers.layerNorm(y, w(p + "norm2.weight"), w(p + "norm2.bias"), eps);
        m = pointwise(Layers.gelu(pointwise(m, p + "mlp.lin1", true)), p + "mlp.lin2", true);
        return tape ? m.add(y) : m.addi(y);
    }

    /**
     * A block's qkv projection of every token, with its adapters when the block has them: the
     * weight {@code W + (alpha / rank) [B_q A_q; B_k A_k; B_v A_v]} (zero for a part not adapted),
     * which equals adding {@code (alpha / rank) x A^T B^T} to each adapted part.
     */
    private NDArray qkv(NDArray h, int i, boolean withBias) {
        String layer = "blocks." + i + ".attn.qkv";
        LoraConfig lora = adapters;
        if (lora == null || !adapted.contains(i)) {
            return pointwise(h, layer, withBias);
        }
        NDArray base = w(layer + ".weight");
        NDArray delta = Layers.local(h, adapterDelta(i, lora, h.getManager()));
        delta = delta.mul(Layers.scalar(h, lora.scale()));
        if (precision != DataType.FLOAT32) {
            delta = delta.toType(precision, false);
        }
        NDArray merged = delta.add(base);
        NDArray bias = withBias ? w(layer + ".bias") : null;
        if (kernels.containsKey(layer)) {
            NDArray kernel = merged.reshape(merged.getShape().get(0), merged.getShape().get(1), 1, 1);
            return Layers.conv2d(h.transpose(0, 3, 1, 2), kernel, bias, 1, 0).transpose(0, 2, 3, 1);
        }
        return Layers.linear(h, merged, bias);
    }

    /**
     * {@code [B_q A_q; B_k A_k; B_v A_v]}, unscaled, zero for a part not adapted: (3 x dim, dim) in
     * {@code target}, on the tape when the adapters are.
     */
    private NDArray adapterDelta(int i, LoraConfig lora, NDManager target) {
        int dim = config.encoderEmbedDim();
        NDList parts = new NDList();
        for (String t : LoraConfig.PARTS) {
            NDArray part = lora.targets().contains(t)
                    ? weights.get(LoraConfig.name(i, t, "B")).matMul(weights.get(LoraConfig.name(i, t, "A")))
                    : target.zeros(new Shape(dim, dim), DataType.FLOAT32);
            part.attach(target);
            parts.add(part);
        }
        return NDArrays.concat(parts, 0);
    }

    /**
     * The qkv weight of block {@code i} with its adapters folded in ({@code W} itself for a block
     * without), float32, in {@code target}: what a merged checkpoint holds.
     */
    public NDArray mergedQkvWeight(int i, NDManager target) {
        NDArray base = weights.get(P + "blocks." + i + ".attn.qkv.weight").stopGradient();
        base.attach(target);
        LoraConfig lora = adapters;
        if (lora == null || !adapted.contains(i)) {
            return base.duplicate();
        }
        try (NDManager scope = target.newSubManager()) {
            NDArray delta = adapterDelta(i, lora, scope).stopGradient();
            delta.attach(scope);
            NDArray out = base.add(delta.mul((float) lora.scale()));
            out.attach(target);
            return out;
        }
    }

    /**
     * A windowed block's queries, keys and values with their bias, in one copy from the token grid:
     * (B, H, W, 3 x C) without bias to (3, B x windows, heads, ws x ws, C / heads), the grid
     * padded with zero tokens to whole windows.
     */
    private NDArray windowHeads(NDArray x, NDArray bias, int ws, long padH, long padW, boolean tape) {
        long[] s = x.getShape().getShape();
        int heads = config.encoderNumHeads();
        long hd = s[3] / 3 / heads;
        NDArray p = padH > 0 || padW > 0 ? x.pad(new Shape(0, 0, 0, padW, 0, padH), 0) : x;
        long nh = (s[1] + padH) / ws;
        long nw = (s[2] + padW) / ws;
        // (b, nh, ws, nw, ws, 3, heads, hd) -> (3, b, nh, nw, heads, ws, ws, hd)
        NDArray split = p.reshape(s[0], nh, ws, nw, ws, 3, heads, hd).transpose(5, 0, 1, 3, 6, 2, 4, 7)
                .reshape(3, s[0] * nh * nw, heads, (long) ws * ws, hd);
        NDArray b = Layers.local(split, bias.reshape(3, 1, heads, 1, hd));
        return tape ? split.add(b) : split.addi(b);
    }

    /** Windows back to the grid: (B x windows, heads, ws x ws, hd) to (B, H, W, C), padding cut off. */
    private static NDArray unpartition(NDArray windows, int ws, long b, long hp, long wp, long h, long w) {
        long heads = windows.getShape().get(1);
        long hd = windows.getShape().get(3);
        // (b, nh, nw, heads, ws, ws, hd) -> (b, nh, ws, nw, ws, heads, hd)
        NDArray x = windows.reshape(b, hp / ws, wp / ws, heads, ws, ws, hd).transpose(0, 1, 4, 2, 5, 3, 6)
                .reshape(b, hp, wp, heads * hd);
        if (hp > h || wp > w) {
            x = x.get(new NDIndex(":, :{}, :{}, :", h, w));
        }
        return x;
    }

    /**
     * Multi-head attention with decomposed relative positions, without the output projection.
     *
     * @param split the queries, keys and values of N grids of h x w tokens (windows, or whole
     *     images in a global block), (3, N, heads, h x w, hd)
     * @return (N, heads, h x w, hd)
     */
    private NDArray attention(NDArray split, long h, long wd, int i, boolean tape) {
        long[] s = split.getShape().getShape();
        long bh = s[1] * s[2];
        long hd = s[4];
        NDArray q = split.get(0).reshape(bh, h * wd, hd);
        NDArray k = split.get(1).reshape(bh, h * wd, hd);
        NDArray v = split.get(2).reshape(bh, h * wd, hd);
        // decomposed relative positions (mvitv2): each query row (or column) times its own table,
        // as one product per row (column) over all windows and heads
        NDArray rq = q.reshape(bh, h, wd, hd);
        NDArray relHeight = rq.transpose(1, 0, 2, 3).reshape(h, bh * wd, hd)
                .matMul(Layers.local(rq, relH[i].transpose(0, 2, 1))).reshape(h, bh, wd, h).transpose(1, 0, 2, 3);
        NDArray relWidth = rq.transpose(2, 0, 1, 3).reshape(wd, bh * h, hd)
                .matMul(Layers.local(rq, relW[i].transpose(0, 2, 1))).reshape(wd, bh, h, wd).transpose(1, 2, 0, 3);
        NDArray kt = k.transpose(0, 2, 1);
        NDArray qs = tape ? q.mul(Layers.scalar(q, Math.pow(hd, -0.5))) : q.mul(Math.pow(hd, -0.5));
        // A global block of ViT-B has a heads x 4096 x 4096 attention map (800 MB). Going through
        // the queries a few grid rows at a time keeps each map small enough for the allocator to
        // reuse its memory, instead of faulting in fresh pages for every temporary.
        long rowsPerChunk = Math.max(1, attentionChunk / (bh * wd * h * wd));
        NDList outs = new NDList();
        for (long y0 = 0; y0 < h; y0 += rowsPerChunk) {
            long y1 = Math.min(h, y0 + rowsPerChunk);
            long n = (y1 - y0) * wd;
            NDArray attn = qs.get(new NDIndex(":, {}:{}, :", y0 * wd, y1 * wd)).matMul(kt);
            NDArray view = attn.reshape(bh, y1 - y0, wd, h, wd);
            NDArray rh = relHeight.get(new NDIndex(":, {}:{}", y0, y1)).expandDims(4);
            NDArray rw = relWidth.get(new NDIndex(":, {}:{}", y0, y1)).expandDims(3);
            NDArray probs;
            if (tape) {
                // out of place; every map but the probabilities' is released at once (autograd keeps its own
                // references to what the backward pass needs: these maps are computed, not made from Java memory)
                NDArray withH = view.add(rh);
                NDArray biased = withH.add(rw);
                NDArray flat = biased.reshape(attn.getShape());
                probs = flat.softmax(-1);
                for (NDArray a : new NDArray[] {attn, view, withH, biased, flat}) {
                    a.close();
                }
            } else {
                // added in place: off the tape no autograd needs the map before the bias
                view.addi(rh).addi(rw);
                probs = attn.softmax(-1);
                attn.close();
                view.close();
            }
            outs.add(probs.matMul(v));
            probs.close();
            if (n == h * wd) {
                break;
            }
        }
        NDArray out = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 1);
        return out.reshape(s[1], s[2], h * wd, hd);
    }

    /**
     * A linear layer applied to every token of a (B, H, W, C) grid. On a CPU in float32 it runs as
     * a 1x1 convolution: the grid is already channels-last, so the engine's convolution library
     * (oneDNN) takes it without a copy and multiplies faster than its matrix product (MKL) does on
     * these shapes.
     *
     * @param layer the layer's name without {@code .weight}/{@code .bias}
     * @param withBias false to leave the bias out
     */
    private NDArray pointwise(NDArray x, String layer, boolean withBias) {
        NDArray bias = withBias ? w(layer + ".bias") : null;
        NDArray kernel = kernels.get(layer);
        if (kernel == null) {
            return Layers.linear(x, w(layer + ".weight"), bias);
        }
        return Layers.conv2d(x.transpose(0, 3, 1, 2), kernel, bias, 1, 0).transpose(0, 2, 3, 1);
    }

    private NDArray w(String name) {
        return precision == DataType.FLOAT32 ? weights.get(P + name) : converted.get(P + name);
    }

    @Override
    public void close() {
        tables.close();
    }

    @Override
    public String toString() {
        return "ImageEncoder[ViT " + config.encoderEmbedDim() + " x " + config.encoderDepth() + " blocks, global "
                + config.encoderGlobalAttnIndexes() + ", window " + config.windowSize()
                + (precision == DataType.FLOAT32 ? "" : ", " + precision.name().toLowerCase(java.util.Locale.ROOT)) + "]";
    }
}
