package io.samtune.distributed.federated;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.JGroupsCluster;
import io.samtune.core.checkpoint.StateDict;
import io.samtune.train.TrainableParameters;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The time of one federated round: {@code sites} members in this process on 127.0.0.1, TLS on,
 * each with a decoder of {@code values} float32 values (ViT-B's is 4.06 million: 16 MB), all calling
 * the round at once; the median over the timed rounds after one warm-up round.
 */
public final class RoundBenchmark {

    private RoundBenchmark() {
    }

    /**
     * @param folder an empty scratch folder (certificates and the rendezvous go there)
     * @return the median seconds of a round, as seen by the coordinating site
     * @throws IOException if the sites cannot start
     */
    public static double roundSeconds(int sites, int values, int rounds, Path folder) throws Exception {
        char[] password = "benchmark-only".toCharArray();
        Path ca = folder.resolve("ca");
        Certificates.createCa(ca, "benchmark-ca", password);
        List<String> names = new ArrayList<>();
        for (int k = 0; k < sites; k++) {
            names.add(String.format("site-%02d", k));
        }
        List<FederatedSynchroniser> members = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(sites);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            List<TrainableParameters> weights = new ArrayList<>();
            for (String name : names) {
                Path dir = folder.resolve(name);
                Certificates.createSite(ca, name, dir, password);
                FederationConfig c = new FederationConfig(name, "127.0.0.1", freePort(), List.of(),
                        folder.resolve("rendezvous"), sites, sites, 1, io.samtune.distributed.federated.aggregation.Aggregations.parse("mean"), Map.of(), 120, dir.resolve(name + ".p12"),
                        dir.resolve("ca.pem"), names, 0, 0, 0, 10, "samtune-benchmark-" + folder.getFileName());
                var tls = ClusterTls.member(c.keystore(), password, c.ca(), Set.copyOf(names), line -> { });
                JGroupsCluster cluster = JGroupsCluster.join(ClusterConfig.builder().setGroup(c.group()).setMember(name)
                        .optBindHost(c.bindHost()).optBindPort(c.bindPort()).optPortRange(0)
                        .setRendezvous(c.rendezvous()).optFailureTimeoutMillis(10_000).optTls(tls.context()).build());
                members.add(new FederatedSynchroniser(c, cluster, tls, Map.of(), null, 0, null, 1, Long.MAX_VALUE,
                        line -> { }));
                StateDict d = new StateDict(manager);
                d.put("w", manager.randomNormal(new Shape(values)));
                weights.add(new TrainableParameters("benchmark", d, List.of("w")));
            }
            List<Future<?>> started = new ArrayList<>();
            for (int k = 0; k < sites; k++) {
                int i = k;
                started.add(pool.submit(() -> {
                    members.get(i).start(weights.get(i), null);
                    return null;
                }));
            }
            for (Future<?> f : started) {
                f.get(120, TimeUnit.SECONDS);
            }
            double[] t = new double[rounds];
            for (int r = -1; r < rounds; r++) {
                List<Future<Long>> each = new ArrayList<>();
                for (int k = 0; k < sites; k++) {
                    int i = k;
                    each.add(pool.submit(() -> {
                        long t0 = System.nanoTime();
                        members.get(i).synchronise(weights.get(i), null);
                        return System.nanoTime() - t0;
                    }));
                }
                long coordinator = each.get(0).get(120, TimeUnit.SECONDS);
                for (Future<Long> f : each) {
                    f.get(120, TimeUnit.SECONDS);
                }
                if (r >= 0) {
                    t[r] = coordinator / 1e9;
                }
            }
            Arrays.sort(t);
            return rounds % 2 == 1 ? t[rounds / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
        } finally {
            members.forEach(FederatedSynchroniser::close);
            pool.shutdownNow();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** For {@code samtune benchmark}: a scratch folder removed afterwards. */
    public static double roundSeconds(int sites, int values, int rounds) throws Exception {
        Path folder = Files.createTempDirectory("samtune-round-benchmark");
        try {
            return roundSeconds(sites, values, rounds, folder);
        } finally {
            try (var walk = Files.walk(folder)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
