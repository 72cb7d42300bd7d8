package io.samtune.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.DoubleConsumer;

/**
 * Scores the decoder on the validation part at every epoch end and records the score in the run,
 * which keeps the best one and its epoch ({@link TrainingView#isBest()}): the choice of
 * {@code decoder-best}. Added by {@link DecoderTrainer#fit} when a validator is given, before every
 * other listener, so they all see the epoch's score.
 */
final class Validation implements TrainingListener {

    private final DecoderTrainer.Validator validator;
    private final DoubleConsumer record;

    Validation(DecoderTrainer.Validator validator, DoubleConsumer record) {
        this.validator = validator;
        this.record = record;
    }

    @Override
    public void onEpochEnd(TrainingView run) {
        try {
            record.accept(validator.meanDice());
        } catch (IOException e) {
            throw new UncheckedIOException("validation failed: " + e.getMessage(), e);
        }
    }
}
