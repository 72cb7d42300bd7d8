/**
 * Federated aggregation: how the sites' updates of one round become the next global weights.
 * {@link io.samtune.distributed.federated.aggregation.Aggregation} is the one seam; the strategies are
 * small records behind it (the weighted mean, coordinate and trimmed means and medians for robustness,
 * and the server optimisers FedAvgM, FedAdam and FedYogi, which carry an
 * {@link io.samtune.distributed.federated.aggregation.AggregationState} from round to round).
 * {@link io.samtune.distributed.federated.aggregation.Aggregations#parse} reads the {@code merge}
 * setting of {@code federation.json}. Transport, privacy and scheduling live elsewhere
 * ({@link io.samtune.distributed.federated.FederatedSynchroniser}).
 */
package io.samtune.distributed.federated.aggregation;
