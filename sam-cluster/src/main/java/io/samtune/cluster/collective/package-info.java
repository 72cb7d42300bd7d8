/**
 * Collectives over a group's point-to-point frames, independent of the engine: {@link
 * io.samtune.cluster.collective.AllReduce} (the interface), {@link
 * io.samtune.cluster.collective.ReduceScatterAllGather} (the bandwidth-optimal, deterministic
 * implementation), {@link io.samtune.cluster.collective.ChunkLayout} (how a vector is cut), and {@link
 * io.samtune.cluster.collective.PeerLink} (what a collective needs of the group; {@link
 * io.samtune.cluster.JGroupsCluster} provides it).
 */
package io.samtune.cluster.collective;
