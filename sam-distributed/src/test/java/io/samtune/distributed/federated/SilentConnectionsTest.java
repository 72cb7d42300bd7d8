package io.samtune.distributed.federated;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.cluster.ClusterConfig;
import io.samtune.cluster.ClusterTls;
import io.samtune.cluster.JGroupsCluster;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that open and send nothing, about ten a second at each member, do not keep two
 * TLS members from meeting: handshakes run apart from the acceptor, within a deadline.
 */
class SilentConnectionsTest {

    private static final char[] PASSWORD = "correct horse".toCharArray();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void silentConnectionsDoNotDelayTheHandshakesOfOthers(@TempDir Path tmp) throws Exception {
        Certificates.createCa(tmp.resolve("ca"), "test-ca", PASSWORD);
        int pa = freePort();
        int pb = freePort();
        List<String> peers = List.of("127.0.0.1:" + pa, "127.0.0.1:" + pb);
        List<Socket> silent = new ArrayList<>();
        List<JGroupsCluster> members = new ArrayList<>();
        Thread flood = new Thread(() -> {
            try {
                for (int k = 0; k < 150 && !Thread.currentThread().isInterrupted(); k++) {
                    for (int port : new int[] {pa, pb}) {
                        try {
                            Socket s = new Socket();
                            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                            synchronized (silent) {
                                silent.add(s);
                            }
                        } catch (java.io.IOException notYetListening) {
                            // the member has not bound its port yet
                        }
                    }
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        flood.start();
        try {
            for (String name : List.of("site-a", "site-b")) {
                Certificates.createSite(tmp.resolve("ca"), name, tmp.resolve(name), PASSWORD);
                ClusterTls.Member tls = ClusterTls.member(tmp.resolve(name).resolve(name + ".p12"), PASSWORD,
                        tmp.resolve(name).resolve("ca.pem"), Set.of("site-a", "site-b"), line -> { });
                Thread.sleep(2000); // the flood reaches the first member before the second starts
                members.add(JGroupsCluster.join(ClusterConfig.builder().setGroup("silent-" + tmp.getFileName())
                        .setMember(name).optBindHost("127.0.0.1").optBindPort(name.equals("site-a") ? pa : pb)
                        .optPortRange(0).setPeers(peers).optFailureTimeoutMillis(3000).optTls(tls.context()).build()));
            }
            for (JGroupsCluster m : members) {
                m.awaitMembers(2, Duration.ofSeconds(10));
            }
            assertThat(members.get(0).members()).containsExactlyInAnyOrder("site-a", "site-b");
            synchronized (silent) {
                assertThat(silent).as("silent connections were open while the members met").hasSizeGreaterThan(10);
            }
        } finally {
            flood.interrupt();
            flood.join(5000);
            synchronized (silent) {
                for (Socket s : silent) {
                    s.close();
                }
            }
            members.forEach(JGroupsCluster::close);
        }
    }
}
