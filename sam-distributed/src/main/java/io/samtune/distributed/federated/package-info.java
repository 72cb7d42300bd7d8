/**
 * Federated training across sites that cannot pool their data. So far: the consortium's
 * certificates ({@link io.samtune.distributed.federated.Certificates}): a CA, and one certificate per site
 * signed by it, in PKCS#12 keystores, for mutual TLS between sites.
 */
package io.samtune.distributed.federated;
