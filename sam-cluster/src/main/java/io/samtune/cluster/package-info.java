/**
 * The cluster layer that federated training, data parallelism over workers and sweeps share:
 * {@link io.samtune.cluster.Cluster} (membership, rounds of all-reduce with a deterministic sum)
 * and its JGroups implementation {@link io.samtune.cluster.JGroupsCluster}, configured by {@link
 * io.samtune.cluster.ClusterConfig}. Nothing outside this package imports JGroups.
 */
package io.samtune.cluster;
