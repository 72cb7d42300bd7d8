package io.samtune.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How a member joins its group.
 *
 * @param group the group's name (members of one run share it)
 * @param member this member's name, unique in the group (e.g. {@code rank-0001})
 * @param bindHost the address to listen on (127.0.0.1 in tests)
 * @param bindPort the first port to try; the next {@code portRange} are tried too
 * @param portRange ports tried after {@code bindPort}
 * @param rendezvous a folder all members share (JGroups FILE_PING), or null to use {@code peers}
 * @param peers {@code host:port} of the members (JGroups TCPPING) when there is no rendezvous folder
 * @param failureTimeoutMillis how long a silent member is kept before it counts as gone
 * @param tls the TLS context of every connection ({@link ClusterTls}), or null for plain TCP inside a trusted network
 */
public record ClusterConfig(String group, String member, String bindHost, int bindPort, int portRange, Path rendezvous,
                            List<String> peers, long failureTimeoutMillis, SSLContext tls) {

    /** Validates. */
    public ClusterConfig {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(bindHost, "bindHost");
        peers = List.copyOf(peers);
        if (rendezvous == null && peers.isEmpty()) {
            throw new IllegalArgumentException("give a rendezvous folder or the peers' host:port");
        }
        if (bindPort < 1 || bindPort > 65535 || portRange < 0) {
            throw new IllegalArgumentException("bindPort must be 1..65535 and portRange >= 0, got " + bindPort + ", "
                    + portRange);
        }
        if (failureTimeoutMillis < 500) {
            throw new IllegalArgumentException("failureTimeoutMillis must be >= 500, got " + failureTimeoutMillis);
        }
    }

    /** A member meeting the others in a shared folder, listening on {@code bindHost} from port 7800. */
    public static ClusterConfig rendezvous(String group, String member, String bindHost, Path folder) {
        return new ClusterConfig(group, member, bindHost, 7800, 50, folder, List.of(), 3000, null);
    }

    /** The same member with every connection under TLS ({@code tls.client_auth=NEED}, TLS 1.3). */
    public ClusterConfig withTls(SSLContext context) {
        return new ClusterConfig(group, member, bindHost, bindPort, portRange, rendezvous, peers, failureTimeoutMillis,
                Objects.requireNonNull(context, "context"));
    }
}
