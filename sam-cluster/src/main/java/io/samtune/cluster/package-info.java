/**
 * The cluster layer (JGroups and the JDK only; no samtune module) that data-parallel workers,
 * federated sites and sweeps share: {@link io.samtune.cluster.Cluster} (membership, messages, the
 * collective all-reduce of {@link io.samtune.cluster.collective}) and its JGroups implementation
 * {@link io.samtune.cluster.JGroupsCluster}, configured by {@link io.samtune.cluster.ClusterConfig};
 * TLS ({@link io.samtune.cluster.ClusterTls}), work claims ({@link io.samtune.cluster.WorkClaims}),
 * launchers ({@link io.samtune.cluster.Launch}). Nothing outside this package imports JGroups.
 */
package io.samtune.cluster;
