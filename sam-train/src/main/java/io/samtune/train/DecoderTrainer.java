package io.samtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.samtune.core.SamModel;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.core.model.Layers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Fine-tunes a {@link SamModel}'s mask decoder (and its image encoder's adapters, when it has some)
 * with the rest frozen. Each step decodes a batch of cached embeddings (with adapters: runs the
 * adapted blocks and the neck from the cached tokens entering the first of them) with their prompts, takes the loss against the masks,
 * back-propagates into the trained {@link TrainableParameters}, lets the {@link TrainingStrategy}
 * combine gradients with other processes', applies the {@link Optimizer}, lets the strategy act after
 * the update, and tells the {@link TrainingListener}s. {@link #fit} is that loop over
 * epochs; {@link #trainStep} is one step, for custom loops. Close it to free the optimizer state.
 */
public final class DecoderTrainer implements AutoCloseable {

    private final SamModel model;
    private final TrainingConfig config;
    private final TrainableParameters parameters;
    private final NDManager manager;
    private final NDArray densePe;
    private final Optimizer optimizer;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private TrainingStrategy strategy = TrainingStrategy.SINGLE_DEVICE;
    private TrainingTask task;
    private volatile boolean stopRequested;

    /** Scores the decoder on the validation part; returns mean Dice. */
    @FunctionalInterface
    public interface Validator {
        /** Mean Dice of the model as it is now. */
        double meanDice() throws IOException;
    }

    /**
     * A trainer of the model's mask decoder.
     *
     * @param model the model whose decoder (and adapters, when it has some: {@link TrainableParameters#of})
     *     is trained; its other parts stay frozen
     * @param config every training setting ({@code data} and {@code model} may be null)
     */
    public DecoderTrainer(SamModel model, TrainingConfig config) {
        this(model, TrainableParameters.of(model, config.model() != null && config.model().trainPromptEncoder()), config);
    }

    /**
     * A trainer of any group of the model's tensors that the decoder's forward pass reads.
     *
     * @param parameters the trained group
     */
    public DecoderTrainer(SamModel model, TrainableParameters parameters, TrainingConfig config) {
        this.model = model;
        this.config = config;
        this.parameters = parameters;
        this.manager = model.manager().newSubManager();
        this.densePe = model.promptEncoder().densePe(manager);
        this.optimizer = config.optimization().newOptimizer(manager);
        this.task = new PromptedSegmentation(config.optimization());
    }

    /**
     * Sets what a step computes from a batch to its loss (default {@link PromptedSegmentation} of the
     * configured loss): the loop, strategy and optimizer stay as they are.
     */
    public DecoderTrainer setTask(TrainingTask task) {
        this.task = Objects.requireNonNull(task, "task");
        return this;
    }

    /** The task. */
    public TrainingTask task() {
        return task;
    }

    /**
     * Adds a replica of the model on another device (data parallelism in one process): the
     * strategy becomes a {@link DeviceReplicas} around the one set before (a later
     * {@link #setStrategy} replaces it, replicas included).
     *
     * @param replica a model of the same sizes on its own device (its decoder weights are overwritten)
     * @throws IllegalArgumentException if its sizes differ
     */
    public DecoderTrainer addReplica(SamModel replica) {
        DeviceReplicas replicas = strategy instanceof DeviceReplicas d ? d : new DeviceReplicas(strategy, model, parameters);
        replicas.add(replica);
        strategy = replicas;
        return this;
    }

    /** The number of devices the decoder trains on in this process (1 plus the strategy's replicas). */
    public int deviceCount() {
        return strategy instanceof DeviceReplicas d ? d.deviceCount() : 1;
    }

    /** The model trained. */
    SamModel model() {
        return model;
    }

    /** The trainer's working memory on the model's device. */
    NDManager manager() {
        return manager;
    }

    /** The model's dense positional encoding, on its device. */
    NDArray densePe() {
        return densePe;
    }

    /** Adds a listener (progress, logging, ...); listeners run in the order added. */
    public DecoderTrainer addListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Sets what is distributed about the run (default {@link TrainingStrategy#SINGLE_DEVICE}): how
     * a batch is shared, how gradients are combined, what follows each update, who writes the run.
     * The strategy is set up already ({@link TrainingStrategy#setUp}).
     */
    public DecoderTrainer setStrategy(TrainingStrategy strategy) {
        this.strategy = Objects.requireNonNull(strategy, "strategy");
        return this;
    }

    /** The strategy. */
    public TrainingStrategy strategy() {
        return strategy;
    }

    /**
     * Asks a running {@link #fit} to stop after its current step: it checkpoints that step and
     * throws {@link TrainingInterruptedException}. Safe to call from any thread (a signal handler).
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** The configuration. */
    public TrainingConfig config() {
        return config;
    }

    /** The trained parameter group. */
    public TrainableParameters parameters() {
        return parameters;
    }

    /** The optimizer (its state is part of a checkpoint). */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Forward and backward pass of one batch: leaves the group's gradients of
     * {@code scale * loss} accumulated, returns the loss (mean over the batch, unscaled).
     */
    public double computeGradients(List<TrainingExample> batch, double scale) {
        parameters.requireGradients();
        return strategy.computeGradients(batch, scale, this);
    }

    /**
     * {@link #computeGradients} on the trained model alone (what a {@link TrainingStrategy} does
     * unless it shares the batch over devices).
     */
    public double computeOnModel(List<TrainingExample> batch, double scale) {
        try (NDManager step = manager.newSubManager()) {
            try (GradientCollector gc = model.manager().getEngine().newGradientCollector()) {
                NDArray loss = batchLoss(batch, step, model, densePe);
                gc.backward(scale == 1.0 ? loss : loss.mul(Layers.scalar(loss, scale)));
                return loss.getFloat();
            }
        }
    }

    /** The loss of a batch without gradients: mean over samples. */
    public double evaluateLoss(List<TrainingExample> batch) {
        try (NDManager step = manager.newSubManager()) {
            return batchLoss(batch, step, model, densePe).getFloat();
        }
    }

    /** The group's current gradients by parameter name (views; valid until the next step). */
    public Map<String, NDArray> gradients() {
        return parameters.gradients();
    }

    /** Applies the accumulated gradients with learning rate {@code lr} and zeroes them. */
    public void applyGradients(double lr) {
        optimizer.update(parameters, lr);
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
            parameters.zeroGradients();
            throw new TrainingDivergedException("loss is " + loss + "; the decoder was not updated");
        }
        applyGradients(config.optimization().learningRate());
        strategy.weightsChanged(parameters);
        return loss;
    }

    /** The mean loss of a batch, as a scalar NDArray on the autograd tape: the {@link TrainingTask}'s. */
    NDArray batchLoss(List<TrainingExample> batch, NDManager scope, SamModel model, NDArray densePe) {
        return task.loss(batch, model, densePe, scope);
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
        if (run == null) {
            if (resume) {
                throw new IOException("nothing to resume: no run folder");
            }
            return loop(data, validator, null, null);
        }
        if (!strategy.isGlobalZero()) {
            return fitHeld(data, validator, run, resume); // global zero writes (and locks) the folder
        }
        try (RunDirectory.Lock lock = run.lock()) {
            return fitHeld(data, validator, run, resume);
        }
    }

    /**
     * {@link #fit} into a run folder this process holds already (global zero), or that another
     * process writes: then a resume reads its state, and nothing is written.
     */
    TrainingResult fitHeld(TrainingData data, Validator validator, RunDirectory run, boolean resume)
            throws IOException {
        boolean writes = strategy.isGlobalZero();
        if (resume && !run.hasState()) {
            throw new IOException("nothing to resume in " + run.path() + ": it holds no " + RunDirectory.STATE
                    + (writes ? " (the run stopped before its first checkpoint); start it again without --resume"
                    : " (the run this worker follows)"));
        }
        if (writes && !resume && run.holdsTraining()) {
            throw new IOException(run.refusal("resume it"));
        }
        if (writes) {
            run.removeLeftovers();
            if (!resume) {
                long lost = run.discardUncheckpointedStart();
                if (lost != 0) {
                    org.slf4j.LoggerFactory.getLogger(DecoderTrainer.class).warn("{}: an earlier start stopped before its"
                            + " first checkpoint ({} logged steps, nothing to resume); starting over", run.path(), lost);
                }
            }
        }
        RunDirectory written = writes ? run : null;
        if (!resume) {
            return loop(data, validator, written, null);
        }
        TrainingPlan plan = TrainingPlan.of(data.size(), config.optimization(), config.schedule());
        try (RunDirectory.Restored restored = run.loadState(parameters, optimizer, config, plan.totalSteps(),
                manager)) {
            if (writes) {
                run.rollBack(restored, parameters, model.config());
            }
            return loop(data, validator, written, restored);
        }
    }

    /** The loop itself, from a fresh start or a restored checkpoint. */
    private TrainingResult loop(TrainingData data, Validator validator, RunDirectory run, RunDirectory.Restored restored)
            throws IOException {
        TrainingPlan plan = TrainingPlan.of(data.size(), config.optimization(), config.schedule());
        LearningRateSchedule schedule = config.schedule().scheduleFor(config.optimization().learningRate(),
                plan.totalSteps());
        TrainingState state = new TrainingState(plan, parameters, optimizer, validator != null);
        if (restored != null) {
            state.restore(restored.state());
            strategy.weightsChanged(parameters);
        }
        List<TrainingListener> all = listenersOf(validator, run, state, restored);
        try {
            all.forEach(l -> l.onStart(state));
            strategy.start(parameters, state);
            int[] order = null;
            boolean stopped = all.stream().anyMatch(l -> l.wantsStop(state));
            while (!stopped && state.hasNextStep()) {
                if (order == null || state.stepInEpoch() == 0) {
                    order = permutation(data.size(), config.run().seed(), state.epoch());
                }
                long t0 = System.nanoTime();
                double lr = schedule.at(state.step());
                TrainingStrategy.Step whole = strategy.reduce(parameters, gradientsOfStep(data, order, state), state);
                state.beginStep(whole.loss(), lr, whole.samples(), (System.nanoTime() - t0) / 1e9);
                all.forEach(l -> l.beforeUpdate(state));
                optimizer.update(parameters, lr);
                state.completeStep();
                strategy.afterUpdate(parameters, state);
                all.forEach(l -> l.onStep(state));
                if (stopRequested && !state.epochEnds()) {
                    throw new TrainingInterruptedException(state.step());
                }
                if (state.epochEnds()) {
                    all.forEach(l -> l.onEpochEnd(state));
                    stopped = all.stream().anyMatch(l -> l.wantsStop(state));
                    state.nextEpoch();
                    if (stopRequested && !stopped && state.hasNextStep()) {
                        throw new TrainingInterruptedException(state.step()); // the epoch end was checkpointed
                    }
                }
            }
            if (strategy.finish(parameters, state)) {
                for (TrainingListener l : all) {
                    if (l instanceof Checkpoints c) {
                        c.saveFinal(state);
                    }
                }
            }
        } catch (RuntimeException e) {
            parameters.zeroGradients();
            all.forEach(l -> l.onStop(state, e));
            if (e instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (e instanceof TrainingDivergedException && run != null) {
                throw new TrainingDivergedException(e.getMessage() + (run.savedStep() >= 0
                        ? " The last good checkpoint (step " + run.savedStep() + ") is in " + run.path() + "."
                        : " No checkpoint was written before it."));
            }
            throw e;
        }
        TrainingResult result = new TrainingResult(state.step(), state.epoch(), state.lastLoss(), state.bestValDice(),
                state.bestEpoch(), run == null ? null : run.path());
        all.forEach(l -> l.onEnd(state, result));
        return result;
    }

    /** Accumulates this process's gradients of one optimizer step (its share of all the step's decoder calls). */
    private TrainingStrategy.Step gradientsOfStep(TrainingData data, int[] order, TrainingView state) throws UncheckedIOException {
        List<List<Integer>> calls = callsOfStep(order, state.stepInEpoch());
        double loss = 0;
        int samples = 0;
        for (List<Integer> whole : calls) {
            List<Integer> call = strategy.shareOf(whole);
            if (call.isEmpty()) {
                continue; // more workers than slices in this call: nothing to add
            }
            double share = (double) call.size() / whole.size();
            try (NDManager scope = manager.newSubManager()) {
                List<TrainingExample> batch = new ArrayList<>();
                for (int pos : call) {
                    batch.add(data.load(order[pos], scope, sampleRandom(config.run().seed(), state.epoch(), pos)));
                }
                loss += computeGradients(batch, share / calls.size()) * share / calls.size();
                samples += batch.size();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (samples == 0) {
            parameters.ensureGradients(); // a share with no slices: the others' sum is written into these
        }
        return new TrainingStrategy.Step(loss, samples);
    }

    /** The built-in listeners around the user's: guard and validation first, then metrics and checkpoints. */
    private List<TrainingListener> listenersOf(Validator validator, RunDirectory run, TrainingState state,
                                               RunDirectory.Restored restored) {
        List<TrainingListener> all = new ArrayList<>();
        all.add(new DivergenceGuard());
        if (validator != null) {
            all.add(new Validation(validator, state::recordValidation));
        }
        all.addAll(listeners);
        if (config.run().patience() > 0) {
            all.add(new EarlyStopping(config.run().patience()));
        }
        if (run != null) {
            all.add(new MetricsLog(run));
            StateDict best = null;
            Map<String, String> bestMeta = null;
            if (restored != null && restored.best() != null) {
                best = restored.best().subset("", model.manager());
                bestMeta = restored.bestMetadata();
            }
            all.add(new Checkpoints(run, parameters, optimizer, model.config(), config.resumeSettings(), config.run(),
                    best, bestMeta));
        }
        return all;
    }

    /** The positions (in the epoch's order) of each decoder call of the epoch's optimizer step {@code s}. */
    private List<List<Integer>> callsOfStep(int[] order, long s) {
        int perCall = config.optimization().batchSize();
        int accumulation = config.optimization().gradAccumulation();
        List<List<Integer>> calls = new ArrayList<>();
        for (int a = 0; a < accumulation; a++) {
            long startLong = (s * accumulation + a) * perCall;
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
        return "DecoderTrainer[" + optimizer + ", lr " + config.optimization().learningRate() + ", batch "
                + config.optimization().batchSize() + ", " + parameters.name() + "]";
    }
}
