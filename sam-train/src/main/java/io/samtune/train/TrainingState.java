package io.samtune.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** The loop's mutable state of a run, seen by listeners as a {@link TrainingView}. */
final class TrainingState implements TrainingView {

    private final TrainingPlan plan;
    private final TrainableParameters parameters;
    private final Optimizer optimizer;
    private final boolean validates;
    private long startStep;
    private long step;
    private int epoch;
    private long stepInEpoch;
    private double loss = Double.NaN;
    private double lastLoss = Double.NaN;
    private double learningRate;
    private int samples;
    private double stepSeconds;
    private double epochLossSum;
    private int epochLossCount;
    private long epochStart = System.nanoTime();
    private double valDice = Double.NaN;
    private boolean best;
    private double bestValDice = Double.NaN;
    private int bestEpoch = -1;

    TrainingState(TrainingPlan plan, TrainableParameters parameters, Optimizer optimizer, boolean validates) {
        this.plan = plan;
        this.parameters = parameters;
        this.optimizer = optimizer;
        this.validates = validates;
    }

    /** Continues from saved counters. */
    void restore(RunDirectory.State s) {
        startStep = s.step();
        step = s.step();
        epoch = s.epoch();
        stepInEpoch = s.stepInEpoch();
        bestValDice = s.bestValDice();
        bestEpoch = s.bestEpoch();
        lastLoss = s.lastLoss();
        epochLossSum = s.epochLossSum();
        epochLossCount = s.epochLossCount();
    }

    boolean hasNextStep() {
        return step < plan.totalSteps() && epoch < plan.epochs();
    }

    void beginStep(double stepLoss, double lr, int stepSamples, double seconds) {
        loss = stepLoss;
        learningRate = lr;
        samples = stepSamples;
        stepSeconds = seconds;
    }

    void completeStep() {
        step++;
        stepInEpoch++;
        lastLoss = loss;
        epochLossSum += loss;
        epochLossCount++;
    }

    void recordValidation(double dice) {
        valDice = dice;
        best = Double.isNaN(bestValDice) || dice > bestValDice;
        if (best) {
            bestValDice = dice;
            bestEpoch = epoch;
        }
    }

    void nextEpoch() {
        epoch++;
        stepInEpoch = 0;
        epochLossSum = 0;
        epochLossCount = 0;
        epochStart = System.nanoTime();
        valDice = Double.NaN;
        best = false;
    }

    @Override
    public TrainingPlan plan() {
        return plan;
    }

    @Override
    public long startStep() {
        return startStep;
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public int epoch() {
        return epoch;
    }

    @Override
    public long stepInEpoch() {
        return stepInEpoch;
    }

    @Override
    public double loss() {
        return loss;
    }

    @Override
    public double lastLoss() {
        return lastLoss;
    }

    @Override
    public double learningRate() {
        return learningRate;
    }

    @Override
    public int samples() {
        return samples;
    }

    @Override
    public double stepSeconds() {
        return stepSeconds;
    }

    @Override
    public double epochMeanLoss() {
        return epochLossCount == 0 ? Double.NaN : epochLossSum / epochLossCount;
    }

    @Override
    public double epochLossSum() {
        return epochLossSum;
    }

    @Override
    public int epochLossCount() {
        return epochLossCount;
    }

    @Override
    public double epochSeconds() {
        return (System.nanoTime() - epochStart) / 1e9;
    }

    @Override
    public boolean epochComplete() {
        return stepInEpoch >= plan.stepsPerEpoch();
    }

    /** The epoch ends: all its steps are done, or all of the run's. */
    boolean epochEnds() {
        return epochComplete() || step >= plan.totalSteps();
    }

    @Override
    public boolean validates() {
        return validates;
    }

    @Override
    public double valDice() {
        return valDice;
    }

    @Override
    public boolean isBest() {
        return best;
    }

    @Override
    public double bestValDice() {
        return bestValDice;
    }

    @Override
    public int bestEpoch() {
        return bestEpoch;
    }

    @Override
    public long optimizerUpdates() {
        return optimizer.updates();
    }

    @Override
    public Map<String, NDArray> weights() {
        return parameters.arrays();
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "TrainingState[step %d/%d, epoch %d/%d, loss %.4f]", step,
                plan.totalSteps(), epoch + 1, plan.epochs(), loss);
    }
}
