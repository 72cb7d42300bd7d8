package io.samtune.cli.command;

import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.HostPort;
import io.samtune.cluster.Launch;
import io.samtune.distributed.dataparallel.DataParallel;
import io.samtune.train.TrainingStrategy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options of a training process that shares each step with others (data-parallel workers):
 * its rank and the world size (else the launcher's variables), where the workers meet, TLS between
 * them, and how long they wait; and the strategy they make, built here once.
 */
final class WorkerOptions {

    @Option(names = "--rank", paramLabel = "R", description = "This worker's rank when several processes share each step (default: RANK, else SLURM_PROCID, else 0). Rank 0 writes --out.")
    Integer rank;

    @Option(names = "--world-size", paramLabel = "N", description = "Processes sharing each step (default: WORLD_SIZE, else SLURM_NTASKS, else 1); --batch-size stays the global batch.")
    Integer worldSize;

    @Option(names = "--rendezvous", paramLabel = "DIR", description = "A folder every worker sees, where they find each other (JGroups FILE_PING).")
    Path rendezvous;

    @Option(names = "--peers", paramLabel = "HOST:PORT,...", split = ",", description = "The workers' addresses in rank order (JGroups TCPPING); rank R listens on the R-th.")
    List<String> peers;

    @Option(names = "--bind", paramLabel = "HOST", description = "The address a worker listens on with --rendezvous (default: ${DEFAULT-VALUE}; the node's address across nodes).")
    String bind = "127.0.0.1";

    @Option(names = "--keystore", paramLabel = "P12", description = "TLS between data-parallel workers: this worker's keystore (samtune certs site; password from SAMTUNE_KEYSTORE_PASSWORD). Needs --ca; peers are accepted when that CA signed their certificate.")
    Path keystore;

    @Option(names = "--ca", paramLabel = "PEM", description = "TLS between data-parallel workers: the CA certificate every worker's keystore was issued by (samtune certs ca).")
    Path ca;

    @Option(names = "--worker-timeout", paramLabel = "S", description = "Seconds to wait for the workers at the start and for each step's sum (default: ${DEFAULT-VALUE}).")
    int workerTimeout = 300;

    @Option(names = "--step-digests", paramLabel = "DIR", description = "Data-parallel workers: after every step each"
            + " appends the SHA-256 of its weights to DIR/rank-NNNN.txt (equal files: every worker holds the same bits).")
    Path stepDigests;

    /** This process's rank and world size: the options, else torchrun's or SLURM's variables. */
    Launch launch(CommandSpec spec) {
        try {
            return Launch.resolve(rank, worldSize, System.getenv());
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage());
        }
    }

    /**
     * The data-parallel strategy of this worker when the world size is above 1, else null; worker
     * options given to a single process are refused by name.
     *
     * @param federated whether the process is a federated site (which cannot also be a worker)
     */
    TrainingStrategy strategy(CommandSpec spec, boolean federated, PrintWriter err) {
        Launch launch = launch(spec);
        if (launch.worldSize() > 1) {
            return dataParallel(launch, federated, spec, err);
        }
        if (keystore != null || ca != null) {
            throw Commands.badOption(spec, "--keystore and --ca secure data-parallel workers (world size > 1, from"
                    + " --world-size, WORLD_SIZE or SLURM_NTASKS); a federation's keystore goes in federation.json");
        }
        if (stepDigests != null) {
            throw Commands.badOption(spec, "--step-digests compares data-parallel workers (world size > 1, from"
                    + " --world-size, WORLD_SIZE or SLURM_NTASKS)");
        }
        return null;
    }

    /** The data-parallel collaboration of this worker, from --rendezvous or --peers. */
    private DataParallel dataParallel(Launch launch, boolean federated, CommandSpec spec, PrintWriter err) {
        if (federated) {
            throw Commands.badOption(spec, "--federation and data-parallel workers (world size " + launch.worldSize()
                    + " from " + launch.source() + ") cannot be combined; run one site per process");
        }
        boolean hasPeers = peers != null && !peers.isEmpty();
        if ((rendezvous == null) == !hasPeers) {
            throw Commands.badOption(spec, "world size " + launch.worldSize() + " (from " + launch.source() + ") needs"
                    + " exactly one of --rendezvous DIR (a shared folder) and --peers HOST:PORT,... (rank order)");
        }
        ClusterConfig.Builder cc = ClusterConfig.builder()
                .setGroup("samtune-data-parallel").setMember(launch.memberName());
        if (hasPeers) {
            if (peers.size() != launch.worldSize()) {
                throw Commands.badOption(spec, "--peers lists " + peers.size() + " addresses for world size "
                        + launch.worldSize() + "; give one per rank, in rank order");
            }
            HostPort mine;
            try {
                mine = HostPort.parse(peers.get(launch.rank()), "each --peers entry");
                for (String p : peers) {
                    HostPort.parse(p, "each --peers entry");
                }
            } catch (IllegalArgumentException e) {
                throw Commands.badOption(spec, e.getMessage());
            }
            cc.optBindHost(mine.host()).optBindPort(mine.port()).optPortRange(0).setPeers(peers);
        } else {
            cc.optBindHost(bind).setRendezvous(rendezvous);
        }
        java.util.function.Consumer<String> console = line -> {
            err.println(line);
            err.flush();
        };
        if (keystore != null || ca != null) {
            if (keystore == null || ca == null) {
                throw Commands.badOption(spec, "TLS between workers needs both --keystore P12 and --ca PEM");
            }
            char[] password = CertsCommand.password(spec);
            try {
                ClusterTls.Member tls = ClusterTls.member(keystore, password, ca,
                        null, console);
                cc.optTls(tls.context());
                console.accept("TLS 1.3 between workers: this worker's certificate names '" + tls.name()
                        + "'; peers need a certificate from " + ca);
            } catch (IOException e) {
                throw Commands.badOption(spec, "--keystore " + e.getMessage());
            } finally {
                java.util.Arrays.fill(password, '\0');
            }
        }
        return new DataParallel(launch, cc.build(),
                java.time.Duration.ofSeconds(Math.max(1, workerTimeout)), console).setStepDigests(stepDigests);
    }
}
