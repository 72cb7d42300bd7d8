package io.samtune.distributed.federated;

import io.samtune.train.DecoderTrainer;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Federated validation: each site scores a merged decoder on its own validation slices, the sites
 * exchange their scores, and the mean Dice weighted by the slices decides which merged decoder is
 * kept as the best. A score is believed only when it is a Dice in [0, 1] over at most the slices
 * its site announced when it joined; another is named and counts as no score.
 */
final class FederatedValidation {

    /** Keeps the merged decoder with the best validation Dice (over the sites, weighted by their validation sizes). */
    @FunctionalInterface
    interface BestKeeper {
        /** A merged decoder better than any before. */
        void keep(float[] weights, long round, double valDice) throws IOException;
    }

    private final String self;
    private final DecoderTrainer.Validator validator;
    private final int validationSize;
    private final BestKeeper keeper;
    private final Consumer<String> console;
    private final ReentrantLock lock;
    private final Condition changed;
    private final Map<Long, TreeMap<String, Messages.Score>> scores = new HashMap<>();
    private double bestDice = Double.NEGATIVE_INFINITY;
    private long bestRound = -1;

    FederatedValidation(String self, DecoderTrainer.Validator validator, int validationSize, BestKeeper keeper,
                        ReentrantLock lock, Condition changed, Consumer<String> console) {
        this.self = self;
        this.validator = validator;
        this.validationSize = validator == null ? 0 : validationSize;
        this.keeper = keeper;
        this.lock = lock;
        this.changed = changed;
        this.console = console;
    }

    /** The validation slices this site scores. */
    int size() {
        return validationSize;
    }

    /**
     * A site's score of a round (under the lock); one that is not a Dice in [0, 1] over at most
     * {@code announced} slices counts as none. Returns why it was refused, or null.
     */
    String onScore(String from, Messages.Score s, int announced) {
        String why = null;
        Messages.Score kept = s;
        if (!(s.dice() >= 0 && s.dice() <= 1) && s.count() > 0) {
            why = "a validation Dice of " + s.dice() + " (a Dice lies in [0, 1])";
        } else if (s.count() < 0 || s.count() > announced) {
            why = "a validation score over " + s.count() + " slices (it announced " + announced + ")";
        }
        if (why != null) {
            kept = new Messages.Score(s.round(), Double.NaN, 0);
        }
        scores.computeIfAbsent(s.round(), k -> new TreeMap<>()).put(from, kept);
        changed.signalAll();
        return why;
    }

    /** This site's score of the merged decoder as it is now in the parameters (NaN, 0 without a validator). */
    Messages.Score score(long round) {
        try {
            return new Messages.Score(round, validator == null ? Double.NaN : validator.meanDice(), validationSize);
        } catch (IOException e) {
            throw new FederationException("cannot score the merged decoder of round " + round + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits (under the lock) for the scores of {@code sites} for {@code round}, this site's
     * {@code mine} among them, at most {@code timeoutSeconds} (then it scores with those that came
     * and names the others), and keeps the merged decoder when it is the best so far; returns the
     * weighted mean Dice, NaN when no site scored.
     */
    double combine(Messages.Score mine, float[] merged, java.util.function.Supplier<List<String>> sites,
                   int timeoutSeconds) {
        long round = mine.round();
        double sum = 0;
        long count = 0;
        lock.lock();
        try {
            scores.computeIfAbsent(round, k -> new TreeMap<>()).put(self, mine);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (!scores.get(round).keySet().containsAll(sites.get())) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    List<String> missing = new java.util.ArrayList<>(sites.get());
                    missing.removeAll(scores.get(round).keySet());
                    console.accept("round " + round + ": no validation score from " + missing + " within " + timeoutSeconds
                            + " s; scored without");
                    break;
                }
                changed.await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
            }
            for (Messages.Score s : scores.remove(round).values()) { // name order
                if (s.count() > 0 && Double.isFinite(s.dice())) {
                    sum += s.dice() * s.count();
                    count += s.count();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FederationException("interrupted while scoring round " + round, e);
        } finally {
            lock.unlock();
        }
        if (count == 0) {
            return Double.NaN;
        }
        double mean = sum / count;
        if (mean > bestDice) {
            bestDice = mean;
            bestRound = round;
            if (keeper != null) {
                try {
                    keeper.keep(merged, round, mean);
                } catch (IOException e) {
                    throw new FederationException("cannot keep the best merged decoder: " + e.getMessage(), e);
                }
            }
        }
        console.accept(String.format(Locale.ROOT, "round %d: validation Dice of the merged decoder %.4f over %d slices"
                + " of the sites%s", round, mean, count, bestRound == round ? " (best so far)" : ""));
        return mean;
    }

    /** The round of the best merged decoder, or -1. */
    long bestRound() {
        return bestRound;
    }

    /** Its validation Dice. */
    double bestDice() {
        return bestDice;
    }
}
