package io.samtune.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import io.samtune.core.ImageEmbedding;
import io.samtune.core.Prompt;
import io.samtune.core.SamModel;
import io.samtune.core.image.ImagePreprocessor;
import io.samtune.core.image.MaskPostprocessor;
import io.samtune.core.model.MaskDecoder;
import io.samtune.core.model.PromptEncoder;
import io.samtune.data.BinaryMask;
import io.samtune.data.PointPrompt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tunes a {@link SamModel}'s mask decoder with the image and prompt encoders frozen: each
 * step decodes a batch of cached embeddings with their prompts, post-processes the logits to each
 * slice's size, takes the Dice loss against its mask, back-propagates into the decoder and applies
 * Adam. {@link #fit} runs epochs with validation, checkpoints and resume; {@link #trainStep} is
 * one step, for custom loops. Close it to free the optimizer state.
 */
public final class DecoderTrainer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DecoderTrainer.class);

    private final SamModel model;
    private final TrainingConfig config;
    private final NDManager manager;
    private final NDArray densePe;
    private final AdamOptimizer optimizer;
    private final List<TrainingListener> listeners = new ArrayList<>();

    /** Scores the decoder on the validation part; returns mean Dice. */
    @FunctionalInterface
    public interface Validator {
        /** Mean Dice of the model as it is now. */
        double meanDice() throws IOException;
    }

    /**
     * @param model the model whose decoder is trained (its other parts stay frozen)
     * @param config every training setting
     */
    public DecoderTrainer(SamModel model, TrainingConfig config) {
        this.model = model;
        this.config = config;
        this.manager = model.manager().newSubManager();
        this.densePe = model.promptEncoder().densePe(manager);
        this.optimizer = new AdamOptimizer(manager, config.optimizer() == TrainingConfig.Optimizer.ADAMW, 0.9, 0.999,
                1e-8, config.weightDecay());
        requireGradients();
    }

    private void requireGradients() {
        model.decoderParameters().values().forEach(p -> p.setRequiresGradient(true));
    }

    /** Adds a listener (progress, logging, ...). */
    public DecoderTrainer addListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    /** The configuration. */
    public TrainingConfig config() {
        return config;
    }

    /** The optimizer (its moments are part of a checkpoint). */
    public AdamOptimizer optimizer() {
        return optimizer;
    }

    /**
     * Forward and backward pass of one batch: leaves the decoder's gradients of
     * {@code scale * loss} accumulated, returns the loss (mean over the batch, unscaled).
     */
    public double computeGradients(List<TrainingExample> batch, double scale) {
        try (NDManager step = manager.newSubManager()) {
            try (GradientCollector gc = Engine.getEngine(model.manager().getEngine().getEngineName())
                    .newGradientCollector()) {
                NDArray loss = batchLoss(batch, step);
                gc.backward(scale == 1.0 ? loss : loss.mul(DiceLoss.constant(loss, (float) scale)));
                return loss.getFloat();
            }
        }
    }

    /** The loss of a batch without gradients: mean over samples. */
    public double evaluateLoss(List<TrainingExample> batch) {
        try (NDManager step = manager.newSubManager()) {
            return batchLoss(batch, step).getFloat();
        }
    }

    /** The decoder's current gradients by parameter name (views; valid until the next step). */
    public Map<String, NDArray> gradients() {
        Map<String, NDArray> g = new java.util.LinkedHashMap<>();
        model.decoderParameters().forEach((k, v) -> g.put(k, v.getGradient()));
        return g;
    }

    /** Applies the accumulated gradients with learning rate {@code lr} and zeroes them. */
    public void applyGradients(double lr) {
        optimizer.step(model.decoderParameters(), lr);
    }

    /**
     * One optimizer step on one batch at the configured base learning rate.
     *
     * @return the batch's loss before the update
     * @throws TrainingDivergedException if the loss is NaN or infinite (nothing is updated)
     */
    public double trainStep(List<TrainingExample> batch) {
        double loss = computeGradients(batch, 1.0);
        if (!Double.isFinite(loss)) {
            AdamOptimizer.zeroGradients(model.decoderParameters());
            throw new TrainingDivergedException("loss is " + loss + "; the decoder was not updated");
        }
        applyGradients(config.learningRate());
        return loss;
    }

    /** The mean loss of a batch, as a scalar NDArray on the autograd tape. */
    NDArray batchLoss(List<TrainingExample> batch, NDManager scope) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        ImagePreprocessor pre = model.preprocessor();
        int b = batch.size();
        NDList embeddings = new NDList();
        float[] boxes = null;
        float[] coords = null;
        float[] labels = null;
        Prompt first = batch.get(0).prompt();
        int nPoints = first.points().size();
        if (first.box() != null) {
            boxes = new float[b * 4];
        }
        if (nPoints > 0) {
            coords = new float[b * nPoints * 2];
            labels = new float[b * nPoints];
        }
        for (int i = 0; i < b; i++) {
            TrainingExample ex = batch.get(i);
            ImageEmbedding e = ex.embedding();
            embeddings.add(e.embedding());
            Prompt p = ex.prompt();
            if ((p.box() != null) != (boxes != null) || p.points().size() != nPoints || p.maskInput() != null) {
                throw new IllegalArgumentException("every prompt of a batch must have the same form: " + p + " vs " + first);
            }
            if (boxes != null) {
                System.arraycopy(pre.toModelFrame(p.box().toArray(), e.originalHeight(), e.originalWidth()), 0, boxes,
                        4 * i, 4);
            }
            for (int j = 0; j < nPoints; j++) {
                PointPrompt pt = p.points().get(j);
                float[] xy = pre.toModelFrame(new double[] {pt.x(), pt.y()}, e.originalHeight(), e.originalWidth());
                coords[(i * nPoints + j) * 2] = xy[0];
                coords[(i * nPoints + j) * 2 + 1] = xy[1];
                labels[i * nPoints + j] = pt.label();
            }
        }
        NDArray emb = b == 1 ? embeddings.get(0) : NDArrays.concat(embeddings, 0);
        emb = emb.toDevice(model.device(), false);
        emb.attach(scope);
        NDArray boxArr = boxes == null ? null : scope.create(boxes, new Shape(b, 4));
        NDArray coordArr = coords == null ? null : scope.create(coords, new Shape(b, nPoints, 2));
        NDArray labelArr = labels == null ? null : scope.create(labels, new Shape(b, nPoints));
        PromptEncoder.Embeddings pe = model.promptEncoder().forward(coordArr, labelArr, boxArr, null);
        MaskDecoder.Output out = model.maskDecoder().forward(emb, densePe, pe.sparse(), pe.dense(), false);
        NDArray lowRes = out.lowResLogits();

        NDList losses = new NDList();
        for (int i = 0; i < b; i++) {
            TrainingExample ex = batch.get(i);
            ImageEmbedding e = ex.embedding();
            NDArray logits = lowRes.get(new NDIndex("{}:{}", i, i + 1));
            NDArray target;
            if (config.lowResLoss()) {
                int side = (int) lowRes.getShape().get(2);
                target = scope.create(lowResTarget(ex.mask(), e, model.config().imageSize(), side),
                        new Shape(1, 1, side, side));
            } else {
                logits = MaskPostprocessor.upscale(logits, model.config().imageSize(), e.inputHeight(), e.inputWidth(),
                        e.originalHeight(), e.originalWidth());
                target = scope.create(toFloats(ex.mask()), new Shape(1, 1, ex.mask().height(), ex.mask().width()));
            }
            target = target.toDevice(model.device(), false);
            NDArray loss = DiceLoss.softDice(logits, target);
            if (config.loss() == TrainingConfig.Loss.DICE_BCE) {
                loss = loss.add(DiceLoss.bceWithLogits(logits, target));
            }
            losses.add(loss.reshape(1));
        }
        // NDArrays.concat copies a single array detached from the graph: only concatenate several
        return losses.size() == 1 ? losses.get(0).mean() : NDArrays.concat(losses, 0).mean();
    }

    private static float[] toFloats(BinaryMask m) {
        boolean[] p = m.pixels();
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            f[i] = p[i] ? 1f : 0f;
        }
        return f;
    }

    /**
     * The mask as seen on the low-res logit grid: each low-res pixel covers a square of the padded
     * model input; it takes the mask value under that square's centre (0 in the padding).
     */
    static float[] lowResTarget(BinaryMask mask, ImageEmbedding e, int imageSize, int side) {
        float[] t = new float[side * side];
        double cell = (double) imageSize / side;
        for (int v = 0; v < side; v++) {
            double yIn = (v + 0.5) * cell;
            if (yIn >= e.inputHeight()) {
                continue;
            }
            int y = Math.min(mask.height() - 1, (int) (yIn * mask.height() / e.inputHeight()));
            for (int u = 0; u < side; u++) {
                double xIn = (u + 0.5) * cell;
                if (xIn >= e.inputWidth()) {
                    continue;
                }
                int x = Math.min(mask.width() - 1, (int) (xIn * mask.width() / e.inputWidth()));
                t[v * side + u] = mask.pixels()[y * mask.width() + x] ? 1f : 0f;
            }
        }
        return t;
    }

    /**
     * Trains for the configured epochs (or steps), validating after each epoch and checkpointing to
     * {@code run} (may be null: nothing is written).
     *
     * @param data training samples
     * @param validator scores the validation part; null for none (then the best decoder is the last)
     * @param resume continue the state saved in {@code run}
     * @throws TrainingDivergedException if the loss becomes NaN or infinite; the state of the last
     *     good step is saved first
     * @throws IOException if a checkpoint cannot be written or read
     */
    public TrainingResult fit(TrainingData data, Validator validator, RunDirectory run, boolean resume)
            throws IOException {
        int n = data.size();
        int perCall = config.batchSize();
        long batchesPerEpoch = (n + perCall - 1) / perCall;
        long stepsPerEpoch = (batchesPerEpoch + config.gradAccumulation() - 1) / config.gradAccumulation();
        long total = config.maxSteps() > 0 ? config.maxSteps() : stepsPerEpoch * config.epochs();
        int epochs = (int) ((total + stepsPerEpoch - 1) / stepsPerEpoch);
        LearningRateSchedule schedule = config.scheduleFor(total);
        String key = config.resumeKey();

        RunDirectory.State st = RunDirectory.State.fresh();
        if (resume) {
            if (run == null || !run.hasState()) {
                throw new IOException("nothing to resume: " + (run == null ? "no run folder" : run.path())
                        + " holds no " + RunDirectory.STATE);
            }
            st = run.loadState(model, optimizer, key);
            requireGradients();
            run.truncateMetrics(st.step(), st.epoch());
            LOG.info("resuming {} at step {} (epoch {})", run.path(), st.step(), st.epoch() + 1);
        }
        long step = st.step();
        double best = st.bestValDice();
        int bestEpoch = st.bestEpoch();
        double lastLoss = st.lastLoss();
        TrainingListener.TrainingPlan plan = new TrainingListener.TrainingPlan(n, -1, epochs, stepsPerEpoch, total, step,
                st.epoch());
        List<TrainingListener> all = new ArrayList<>(listeners);
        if (run != null) {
            all.add(new MetricsLog(run));
        }
        all.forEach(l -> l.onStart(plan));

        int epoch = st.epoch();
        for (; epoch < epochs && step < total; epoch++) {
            long epochStart = System.nanoTime();
            int[] order = permutation(n, config.seed(), epoch);
            double lossSum = 0;
            int lossCount = 0;
            long s = epoch == st.epoch() ? st.stepInEpoch() : 0;
            for (; s < stepsPerEpoch && step < total; s++) {
                long t0 = System.nanoTime();
                double lr = schedule.at(step);
                int samples = 0;
                double loss = 0;
                List<List<Integer>> calls = callsOfStep(order, s, perCall);
                for (List<Integer> call : calls) {
                    try (NDManager scope = manager.newSubManager()) {
                        List<TrainingExample> batch = new ArrayList<>();
                        for (int pos : call) {
                            batch.add(data.load(order[pos], scope, sampleRandom(config.seed(), epoch, pos)));
                        }
                        loss += computeGradients(batch, 1.0 / calls.size()) / calls.size();
                        samples += batch.size();
                    }
                }
                TrainingListener.StepEvent event = new TrainingListener.StepEvent(step + 1, epoch, loss, lr, samples,
                        (System.nanoTime() - t0) / 1e9);
                try {
                    if (!Double.isFinite(loss)) {
                        throw new TrainingDivergedException(String.format(Locale.ROOT, "loss became %s at step %d"
                                + " (epoch %d); training stopped. Lower the learning rate (--lr), check the data,"
                                + " or resume from the last good checkpoint.", loss, step + 1, epoch + 1));
                    }
                    all.forEach(l -> l.onLoss(event));
                } catch (RuntimeException e) {
                    AdamOptimizer.zeroGradients(model.decoderParameters());
                    if (run != null) {
                        run.saveState(model, optimizer, new RunDirectory.State(step, epoch, s, best, bestEpoch,
                                optimizer.stepCount(), lastLoss), key);
                        throw new TrainingDivergedException(e.getMessage() + " The last good state (step " + step
                                + ") is in " + run.file(RunDirectory.DECODER_LAST) + ".");
                    }
                    throw e;
                }
                applyGradients(lr);
                step++;
                lastLoss = loss;
                lossSum += loss;
                lossCount++;
                all.forEach(l -> l.onStep(event));
                if (run != null && config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0
                        && s + 1 < stepsPerEpoch) {
                    run.saveState(model, optimizer, new RunDirectory.State(step, epoch, s + 1, best, bestEpoch,
                            optimizer.stepCount(), lastLoss), key);
                }
            }
            boolean complete = s >= stepsPerEpoch;
            double val = validator == null ? Double.NaN : validator.meanDice();
            boolean isBest = validator != null && (Double.isNaN(best) || val > best);
            if (isBest) {
                best = val;
                bestEpoch = epoch;
            }
            if (run != null) {
                RunDirectory.State saved = complete
                        ? new RunDirectory.State(step, epoch + 1, 0, best, bestEpoch, optimizer.stepCount(), lastLoss)
                        : new RunDirectory.State(step, epoch, s, best, bestEpoch, optimizer.stepCount(), lastLoss);
                run.saveState(model, optimizer, saved, key);
                if (isBest || validator == null) {
                    model.saveDecoder(run.file(RunDirectory.DECODER_BEST), Map.of("step", Long.toString(step), "epoch",
                            Integer.toString(epoch + 1), "valDice", Double.toString(val)));
                }
            }
            TrainingListener.EpochEvent ev = new TrainingListener.EpochEvent(epoch, step,
                    lossCount == 0 ? Double.NaN : lossSum / lossCount, val, isBest, (System.nanoTime() - epochStart) / 1e9);
            all.forEach(l -> l.onEpochEnd(ev));
        }
        TrainingResult result = new TrainingResult(step, epoch, lastLoss, best, bestEpoch, run == null ? null : run.path());
        all.forEach(l -> l.onEnd(result));
        return result;
    }

    /** The positions (in the epoch's order) of each decoder call of optimizer step {@code s}. */
    private List<List<Integer>> callsOfStep(int[] order, long s, int perCall) {
        List<List<Integer>> calls = new ArrayList<>();
        for (int a = 0; a < config.gradAccumulation(); a++) {
            long startLong = (s * config.gradAccumulation() + a) * perCall;
            if (startLong >= order.length) {
                break;
            }
            int start = (int) startLong;
            List<Integer> call = new ArrayList<>();
            for (int pos = start; pos < Math.min(order.length, start + perCall); pos++) {
                call.add(pos);
            }
            calls.add(call);
        }
        return calls;
    }

    /** The order of the samples in an epoch: a seeded shuffle, the same for a resumed run. */
    static int[] permutation(int n, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Random r = new Random(mix(seed, 0x5eedL, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The randomness of the sample at one position of one epoch (box jitter), independent of the rest. */
    static Random sampleRandom(long seed, int epoch, int position) {
        return new Random(mix(seed, epoch, position));
    }

    private static long mix(long a, long b, long c) {
        long h = a * 0x9E3779B97F4A7C15L + b;
        h = (h ^ (h >>> 29)) * 0xBF58476D1CE4E5B9L + c;
        return h ^ (h >>> 32);
    }

    @Override
    public void close() {
        optimizer.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "DecoderTrainer[" + config.optimizer() + ", lr " + config.learningRate() + ", batch " + config.batchSize()
                + ", " + optimizer.stepCount() + " steps]";
    }

    /** Writes steps and validations to {@code metrics.jsonl}. */
    static final class MetricsLog implements TrainingListener {
        private final RunDirectory run;

        MetricsLog(RunDirectory run) {
            this.run = run;
        }

        @Override
        public void onStep(StepEvent e) {
            JsonObject o = new JsonObject();
            o.addProperty("step", e.step());
            o.addProperty("epoch", e.epoch() + 1);
            o.addProperty("loss", e.loss());
            o.addProperty("lr", e.learningRate());
            write(o);
        }

        @Override
        public void onEpochEnd(EpochEvent e) {
            JsonObject o = new JsonObject();
            o.addProperty("epoch", e.epoch() + 1);
            o.addProperty("step", e.step());
            o.addProperty("meanLoss", e.meanLoss());
            if (!Double.isNaN(e.valDice())) {
                o.addProperty("valDice", e.valDice());
            }
            write(o);
            try {
                CurvesPlot.write(run);
            } catch (IOException ex) {
                LOG.warn("cannot draw {}: {}", run.file(RunDirectory.CURVES), ex.getMessage());
            }
        }

        private void write(JsonObject o) {
            try {
                run.appendMetric(o);
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot write " + run.file(RunDirectory.METRICS), ex);
            }
        }
    }
}
