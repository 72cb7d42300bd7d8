/**
 * Federated training across sites that cannot pool their data. Start at
 * {@link io.samtune.distributed.federated.Federation} (the training strategy of a site, from its
 * {@link io.samtune.distributed.federated.FederationConfig}) and
 * {@link io.samtune.distributed.federated.FederatedSynchroniser} (a site's rounds as the training loop
 * sees them). Beneath: {@code RoundCoordinator} (the rounds and their state, as the training thread
 * sees them), {@code RoundIntake} (what the other sites say), {@code SiteLink} (the federation's
 * channel of the group, sealed messages, bytes counted), {@code OneSiteMerge} (rounds merged at one
 * site) and {@code ShardedMerge} (rounds merged in slices, with {@code ShardedRound} and
 * {@code ShardedIntake}), {@code SiteAdmission} (who takes part: proofs of identity and shared
 * settings), {@code MessageSeal} (signatures), {@code Messages} (the message types; {@code MessageWriter} and
 * {@code MessageReader}: the wire format),
 * {@code FederatedValidation}, {@code UpdatePrivacy} and {@code ProximalTerm}; the merges themselves
 * are in {@link io.samtune.distributed.federated.aggregation}. The consortium's certificates:
 * {@link io.samtune.distributed.federated.Certificates}. docs/federated.md is the user's guide.
 */
package io.samtune.distributed.federated;
