package io.samtune.cluster;

import java.util.Map;

/**
 * Where this process stands among the workers a launcher started: its rank, the world size and its
 * rank on its node. From the flags when given, else from torchrun's {@code RANK}, {@code WORLD_SIZE}
 * and {@code LOCAL_RANK}, else from SLURM's {@code SLURM_PROCID}, {@code SLURM_NTASKS} and
 * {@code SLURM_LOCALID}, else one process alone.
 *
 * @param rank this worker, 0 .. worldSize - 1 (rank 0 writes the run folder)
 * @param worldSize the number of workers
 * @param localRank this worker's index on its node (picks its GPU)
 * @param source where the numbers came from, for messages
 */
public record Launch(int rank, int worldSize, int localRank, String source) {

    /** Validates. */
    public Launch {
        if (worldSize < 1 || rank < 0 || rank >= worldSize || localRank < 0) {
            throw new IllegalArgumentException("rank " + rank + " of world size " + worldSize + " (from " + source
                    + ") is not a worker: the rank must be 0.." + (worldSize - 1));
        }
    }

    /** One process alone. */
    public static Launch single() {
        return new Launch(0, 1, 0, "a single process");
    }

    /** This worker's member name in the group: ranks sort by name in rank order. */
    public String memberName() {
        return String.format(java.util.Locale.ROOT, "rank-%04d", rank);
    }

    /**
     * Resolves rank and world size.
     *
     * @param rank {@code --rank}, or null
     * @param worldSize {@code --world-size}, or null
     * @param environment the process environment
     * @throws IllegalArgumentException naming the flag or variable at fault
     */
    public static Launch resolve(Integer rank, Integer worldSize, Map<String, String> environment) {
        if (rank != null || worldSize != null) {
            if (rank == null || worldSize == null) {
                throw new IllegalArgumentException("give --rank and --world-size together (or neither, to read RANK and"
                        + " WORLD_SIZE or the SLURM variables)");
            }
            int local = number(environment, "LOCAL_RANK", number(environment, "SLURM_LOCALID", rank));
            return new Launch(rank, worldSize, local, "--rank/--world-size");
        }
        if (environment.containsKey("WORLD_SIZE") || environment.containsKey("RANK")) {
            int r = number(environment, "RANK", -1);
            int w = number(environment, "WORLD_SIZE", -1);
            if (r < 0 || w < 1) {
                throw new IllegalArgumentException("set both RANK and WORLD_SIZE (torchrun convention), got RANK="
                        + environment.get("RANK") + " WORLD_SIZE=" + environment.get("WORLD_SIZE"));
            }
            return new Launch(r, w, number(environment, "LOCAL_RANK", r), "RANK/WORLD_SIZE");
        }
        if (environment.containsKey("SLURM_PROCID") && environment.containsKey("SLURM_NTASKS")) {
            int r = number(environment, "SLURM_PROCID", -1);
            return new Launch(r, number(environment, "SLURM_NTASKS", -1), number(environment, "SLURM_LOCALID", r),
                    "SLURM_PROCID/SLURM_NTASKS");
        }
        return single();
    }

    private static int number(Map<String, String> env, String name, int fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("environment variable " + name + " must be a whole number, got '" + v
                    + "'");
        }
    }
}
