package io.samtune.train;

/**
 * The shape of a run, known before its first step.
 *
 * @param trainSamples samples in the training part
 * @param epochs epochs the run will reach
 * @param stepsPerEpoch optimizer steps in a full epoch
 * @param totalSteps optimizer steps of the whole run
 */
public record TrainingPlan(int trainSamples, int epochs, long stepsPerEpoch, long totalSteps) {

    /** The plan of a run over {@code samples} samples with these settings. */
    public static TrainingPlan of(int samples, OptimizationConfig optimization, ScheduleConfig schedule) {
        long batchesPerEpoch = ((long) samples + optimization.batchSize() - 1) / optimization.batchSize();
        long stepsPerEpoch = (batchesPerEpoch + optimization.gradAccumulation() - 1) / optimization.gradAccumulation();
        if (schedule.maxSteps() == 0 && stepsPerEpoch * schedule.epochs() / schedule.epochs() != stepsPerEpoch) {
            throw new IllegalArgumentException("epochs x steps per epoch overflows: give fewer epochs");
        }
        long total = schedule.maxSteps() > 0 ? schedule.maxSteps() : stepsPerEpoch * schedule.epochs();
        int epochs = (int) ((total + stepsPerEpoch - 1) / stepsPerEpoch);
        return new TrainingPlan(samples, epochs, stepsPerEpoch, total);
    }
}
