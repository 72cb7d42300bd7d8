package io.samtune.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What listeners and hooks see of a run: counters, the latest step's loss and learning rate, the
 * latest validation and the best so far, and the trained weights. Read-only: a listener observes,
 * the loop alone advances the run.
 */
public interface TrainingView {

    /** The run's shape. */
    TrainingPlan plan();

    /** The step the run started (or resumed) at. */
    long startStep();

    /** Optimizer steps done, the current one included once it is applied. */
    long step();

    /** The current epoch, 0-based. */
    int epoch();

    /** Steps done in the current epoch. */
    long stepInEpoch();

    /** Loss of the latest step (before its update); NaN before the first. */
    double loss();

    /** Loss of the last applied step; NaN before the first. */
    double lastLoss();

    /** Learning rate of the latest step. */
    double learningRate();

    /** Samples of the latest step. */
    int samples();

    /** Seconds the latest step took. */
    double stepSeconds();

    /** Mean loss of the current epoch's steps; NaN for none. */
    double epochMeanLoss();

    /** Sum of the losses of the current epoch's steps (kept across a resume). */
    double epochLossSum();

    /** Number of the current epoch's steps done (kept across a resume). */
    int epochLossCount();

    /** Seconds since the current epoch started in this process. */
    double epochSeconds();

    /** True when the current epoch has run all its steps (or the run all of its own). */
    boolean epochComplete();

    /** True when the run validates each epoch. */
    boolean validates();

    /** Validation Dice of the current epoch; NaN until it is validated, or without validation. */
    double valDice();

    /** True when the current epoch's validation Dice is the best so far. */
    boolean isBest();

    /** Best validation Dice so far; NaN for none. */
    double bestValDice();

    /** Epoch (0-based) of the best validation Dice; -1 for none. */
    int bestEpoch();

    /** The optimizer's update count. */
    long optimizerUpdates();

    /** The trained weights by name (read-only map of the model's arrays). */
    Map<String, NDArray> weights();
}
