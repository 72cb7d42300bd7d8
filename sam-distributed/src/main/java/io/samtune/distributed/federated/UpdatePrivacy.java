package io.samtune.distributed.federated;

import java.security.SecureRandom;

/**
 * What a site sends of its update: clipped to a norm around the last merged decoder, then noised
 * with Gaussian noise of standard deviation {@code noiseMultiplier x clipNorm} (the Gaussian
 * mechanism of differentially private federated averaging). With {@code clipNorm} 0 the weights
 * leave as they are.
 */
final class UpdatePrivacy {

    private final double clipNorm;
    private final double noiseMultiplier;
    private final SecureRandom noise = new SecureRandom();

    UpdatePrivacy(double clipNorm, double noiseMultiplier) {
        this.clipNorm = clipNorm;
        this.noiseMultiplier = noiseMultiplier;
    }

    /** The weights to send: {@code anchor + clip(mine - anchor) + noise}; {@code mine} itself when off. */
    float[] privatise(float[] mine, float[] anchor) {
        if (clipNorm <= 0) {
            return mine;
        }
        double norm = 0;
        for (int i = 0; i < mine.length; i++) {
            double d = mine[i] - anchor[i];
            norm += d * d;
        }
        norm = Math.sqrt(norm);
        double scale = norm > clipNorm ? clipNorm / norm : 1;
        double sigma = noiseMultiplier * clipNorm;
        float[] out = new float[mine.length];
        for (int i = 0; i < mine.length; i++) {
            double d = (mine[i] - anchor[i]) * scale + (sigma > 0 ? sigma * noise.nextGaussian() : 0);
            out[i] = (float) (anchor[i] + d);
        }
        return out;
    }
}
