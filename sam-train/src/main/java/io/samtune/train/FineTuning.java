package io.samtune.train;

import com.google.gson.JsonObject;
import io.samtune.core.SamModel;
import io.samtune.core.cache.EmbeddingCache;
import io.samtune.core.checkpoint.CheckpointException;
import io.samtune.core.config.DataConfig;
import io.samtune.eval.DiceScorer;
import io.samtune.data.DataSplit;
import io.samtune.data.SliceIndex;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A whole fine-tuning run from its settings alone, as {@code samtune train} runs it: loads the model
 * (checkpoint errors come before the data scan), lists and splits the slices, fills the embedding
 * cache, writes {@code run.json} ({@link Provenance}), trains with validation on the validation part
 * and checkpoints into the run folder. The same from Java, JShell or the command line.
 *
 * <pre>{@code
 * TrainingResult r = new FineTuning(config).addListener(myListener).run(new RunDirectory(out), false);
 * }</pre>
 */
public final class FineTuning {

    /** What a run reports before training starts; every method has an empty default. */
    public interface Observer {
        /** The model is loaded and its cache chosen (null without a cache). */
        default void onModel(SamModel model, EmbeddingCache cache) {
        }

        /** The slices are listed and split. */
        default void onData(SliceIndex index, DataSplit parts) {
        }

        /** {@code done} of {@code total} training slices have their embedding cached. */
        default void onEncoding(int done, int total) {
        }
    }

    private final TrainingConfig config;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private Observer observer = new Observer() {
    };
    private volatile DecoderTrainer running;
    private TrainingStrategy strategy = TrainingStrategy.SINGLE_DEVICE;
    private volatile boolean stopRequested;

    /**
     * @param config every setting; {@code data} and {@code model} are required
     * @throws IllegalArgumentException if either is missing
     */
    public FineTuning(TrainingConfig config) {
        if (config.data() == null || config.model() == null) {
            throw new IllegalArgumentException("a fine-tuning run needs data and model settings"
                    + " (TrainingConfig.builder().optData(...).optModel(...))");
        }
        this.config = config;
    }

    /** Adds a training listener (progress, logging, ...). */
    public FineTuning addListener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** Sets what is told of the preparation (model, data, encoding). */
    public FineTuning setObserver(Observer observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
        return this;
    }

    /**
     * Asks the run to stop after its current step, checkpointed (see {@link DecoderTrainer#requestStop});
     * {@link #run} then throws {@link TrainingInterruptedException}. Safe from any thread.
     */
    public void requestStop() {
        stopRequested = true;
        DecoderTrainer t = running;
        if (t != null) {
            t.requestStop();
        }
    }

    /**
     * Trains together with other processes (data-parallel workers, federated sites): the strategy
     * is {@linkplain TrainingStrategy#setUp set up} once the model, data and run folder are ready,
     * drives the loop, and is closed when the run ends.
     */
    public FineTuning setStrategy(TrainingStrategy strategy) {
        this.strategy = Objects.requireNonNull(strategy, "strategy");
        return this;
    }

    /** The settings. */
    public TrainingConfig config() {
        return config;
    }

    /**
     * Runs (or resumes) the fine-tuning into {@code run}.
     *
     * @param resume continue the state saved in {@code run}; false refuses a folder that holds a run
     * @throws IOException if the folder, checkpoint or data cannot be used (nothing is overwritten)
     * @throws TrainingDivergedException if the loss becomes NaN or infinite (the last good state is kept)
     */
    public TrainingResult run(RunDirectory run, boolean resume) throws IOException {
        if (resume && !run.hasState()) {
            throw new IOException("nothing to resume in " + run.path() + ": it holds no " + RunDirectory.STATE
                    + " (the run stopped before its first checkpoint); start it again without --resume");
        }
        if (!strategy.isGlobalZero()) {
            return run(run, resume, config.data()); // global zero writes (and locks) the folder
        }
        try (RunDirectory.Lock lock = run.lock()) {
            return run(lock, resume);
        }
    }

    /**
     * Runs (or resumes) the fine-tuning into a folder the caller has taken already (a sweep's trial
     * takes it before it clears what an interrupted first checkpoint left); the caller releases it.
     *
     * @throws IllegalStateException if {@code held} was released
     * @see #run(RunDirectory, boolean)
     */
    public TrainingResult run(RunDirectory.Lock held, boolean resume) throws IOException {
        if (!held.isHeld()) {
            throw new IllegalStateException(held.run().path() + " was released; take it again with RunDirectory.lock()");
        }
        RunDirectory run = held.run();
        // a run.json alone (a refused keystore, workers that never met) or steps logged but never checkpointed
        // (a start killed early) hold nothing to resume: a fresh start takes the folder over; a checkpoint keeps it
        if (!resume && run.holdsTraining()) {
            throw new IOException(run.refusal("pass --resume to continue it"));
        }
        if (resume && !run.hasState()) {
            throw new IOException("nothing to resume in " + run.path() + ": it holds no " + RunDirectory.STATE
                    + " (the run stopped before its first checkpoint); start it again without --resume");
        }
        return run(run, resume, config.data());
    }

    private TrainingResult run(RunDirectory run, boolean resume, DataConfig data) throws IOException {
        try (SamModel model = config.model().load()) {
            if (!model.hasImageEncoder()) {
                throw new CheckpointException(config.model().checkpoint(), "holds no image encoder (is it a decoder"
                        + " file?); training needs a full SAM checkpoint (e.g. sam_vit_b_01ec64.pth) as --checkpoint");
            }
            if (config.model().adapter() != null) {
                model.addAdapters(config.model().adapter(), config.run().seed());
            }
            try (DecoderTrainer trainer = new DecoderTrainer(model, config)) {
                return run(run, resume, data, model, trainer);
            }
        }
    }

    private TrainingResult run(RunDirectory run, boolean resume, DataConfig data, SamModel model, DecoderTrainer trainer)
            throws IOException {
        {
            EmbeddingCache cache = config.model().cache(model, data.window());
            observer.onModel(model, cache);
            SliceIndex index = data.scan();
            DataSplit parts = data.split().split(index);
            observer.onData(index, parts);
            JsonObject provenance = Provenance.of(config, model, index, parts);
            provenance.addProperty("worldSize", strategy.worldSize());
            if (resume) {
                refuseMixedRun(run, provenance);
            }
            SliceTrainingData train = cache != null ? new SliceTrainingData(parts.train(), cache, data)
                    : new SliceTrainingData(parts.train(), model, data);
            train.warmCache(model.manager(), i -> observer.onEncoding(i, parts.train().size()));
            DiceScorer scorer = new DiceScorer(model, cache, data.prompt(), data.window());
            DecoderTrainer.Validator validator = parts.validation().isEmpty() ? null
                    : () -> DiceScorer.meanDice(scorer.score(parts.validation(), null));
            boolean writes = strategy.isGlobalZero();
            listeners.forEach(trainer::addListener);
            List<SamModel> replicas = new ArrayList<>();
            try {
                DeviceReplicas onDevices = new DeviceReplicas(strategy, model, trainer.parameters());
                for (String d : config.model().devices().subList(Math.min(1, config.model().devices().size()),
                        config.model().devices().size())) {
                    SamModel r = SamModel.load(config.model().checkpoint(), model.config(),
                            io.samtune.core.Engines.device(d));
                    r.setEncoderPrecision(config.model().encoderDataType());
                    if (model.adapters() != null) {
                        r.addAdapters(model.adapters(), config.run().seed());
                    }
                    replicas.add(r);
                    onDevices.add(r);
                }
                try (TrainingStrategy c = replicas.isEmpty() ? strategy : onDevices) {
                    // the others are joined before anything is written: a start they refuse leaves the folder as it was
                    c.setUp(new TrainingStrategy.Context(config, model, run, provenance, validator,
                            parts.train().size(), parts.validation().size(), resume));
                    if (!resume && writes) {
                        run.writeRunInfo(provenance);
                    }
                    if (writes) {
                        trainer.addListener(new TensorBoardLog(run.path()));
                    }
                    trainer.setStrategy(c);
                    try {
                        return fit(trainer, train, validator, run, resume);
                    } finally {
                        if (writes) {
                            JsonObject info = run.readRunInfo();
                            JsonObject before = info.deepCopy();
                            c.describe(info);
                            if (!info.equals(before)) { // one process alone records nothing more
                                run.writeRunInfo(info);
                            }
                        }
                    }
                }
            } finally {
                replicas.forEach(SamModel::close);
            }
        }
    }

    private TrainingResult fit(DecoderTrainer trainer, SliceTrainingData train, DecoderTrainer.Validator validator,
                               RunDirectory run, boolean resume) throws IOException {
        running = trainer;
        if (stopRequested) {
            trainer.requestStop();
        }
        try {
            return trainer.fitHeld(train, validator, run, resume); // the folder is locked here already (global zero)
        } finally {
            running = null;
        }
    }

    /** Refuses a resume whose checkpoint, sizes, split or data differ from those the run started with. */
    private static void refuseMixedRun(RunDirectory run, JsonObject now) throws IOException {
        if (!java.nio.file.Files.isRegularFile(run.file(RunDirectory.RUN))) {
            throw new IOException("cannot resume " + run.path() + ": its " + RunDirectory.RUN + " is missing, so the"
                    + " data and checkpoint it trained on cannot be checked; start a new run in another --out");
        }
        JsonObject saved = run.readRunInfo();
        int savedWorld = Provenance.worldSize(saved);
        int world = now.get("worldSize").getAsInt();
        if (savedWorld != world) {
            throw new IOException("cannot resume " + run.path() + " with world size " + world + ": it was trained with"
                    + " world size " + savedWorld + "; resume it with " + savedWorld + (savedWorld == 1 ? " process"
                    : " workers") + " (nothing was changed)");
        }
        List<String> differences = Provenance.differences(saved, now);
        if (!differences.isEmpty()) {
            throw new IOException("cannot resume " + run.path() + ": it was trained on other inputs:"
                    + System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", differences)
                    + System.lineSeparator() + "Resume with the same data, checkpoint and split options, or start a new"
                    + " run in another --out.");
        }
    }

    @Override
    public String toString() {
        return "FineTuning" + config.toJson();
    }
}
