package io.samtune.cluster;

import io.samtune.cluster.collective.ChunkLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How a member joins its group. Build one with {@link #builder()}: the group, the member's name and
 * either a rendezvous folder or the peers are required; everything else has a named default.
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
 * @param segmentValues the most float32 values in one all-reduce frame
 * @param joinTimeoutMillis the longest a join may take: when the group's coordinator does not answer
 *     in that time (a dead member's stale rendezvous entry, a stalled peer), this member starts a
 *     group of its own, which the others meet later
 */
public record ClusterConfig(String group, String member, String bindHost, int bindPort, int portRange, Path rendezvous,
                            List<String> peers, long failureTimeoutMillis, SSLContext tls, int segmentValues,
                            long joinTimeoutMillis) {

    /** The address listened on unless another is given: {@value}. */
    public static final String DEFAULT_BIND_HOST = "127.0.0.1";
    /** The first port tried unless another is given: {@value}. */
    public static final int DEFAULT_PORT = 7800;
    /** Ports tried after the first when several members share a host: {@value}. */
    public static final int DEFAULT_PORT_RANGE = 100;
    /** How long a silent member is kept before it counts as gone: {@value} ms. */
    public static final long DEFAULT_FAILURE_TIMEOUT_MILLIS = 6000;
    /** The longest a join takes unless another is given: {@value} ms. */
    public static final long DEFAULT_JOIN_TIMEOUT_MILLIS = 60_000;

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
        if (joinTimeoutMillis < 1000) {
            throw new IllegalArgumentException("joinTimeoutMillis must be >= 1000, got " + joinTimeoutMillis);
        }
        if (segmentValues < 1) {
            throw new IllegalArgumentException("segmentValues must be >= 1, got " + segmentValues);
        }
    }

    /** A builder with every default set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        Builder b = new Builder().setGroup(group).setMember(member).optBindHost(bindHost).optBindPort(bindPort)
                .optPortRange(portRange).optFailureTimeoutMillis(failureTimeoutMillis).optTls(tls)
                .optSegmentValues(segmentValues).optJoinTimeoutMillis(joinTimeoutMillis);
        return rendezvous != null ? b.setRendezvous(rendezvous) : b.setPeers(peers);
    }

    /** The same member with every connection under TLS ({@code tls.client_auth=NEED}, TLS 1.3). */
    public ClusterConfig withTls(SSLContext context) {
        return toBuilder().optTls(Objects.requireNonNull(context, "context")).build();
    }

    @Override
    public String toString() {
        return "ClusterConfig[group " + group + ", member " + member + ", bind " + bindHost + ":" + bindPort + "+"
                + portRange + ", " + (rendezvous != null ? "rendezvous " + rendezvous : "peers " + peers)
                + ", failure timeout " + failureTimeoutMillis + " ms, join within " + joinTimeoutMillis + " ms, " + (tls != null ? "TLS" : "plain TCP")
                + ", segments of " + segmentValues + " values]";
    }

    /** Builds a {@link ClusterConfig}: {@code set} for what is required, {@code opt} for the rest. */
    public static final class Builder {
        private String group;
        private String member;
        private String bindHost = DEFAULT_BIND_HOST;
        private int bindPort = DEFAULT_PORT;
        private int portRange = DEFAULT_PORT_RANGE;
        private Path rendezvous;
        private List<String> peers = List.of();
        private long failureTimeoutMillis = DEFAULT_FAILURE_TIMEOUT_MILLIS;
        private SSLContext tls;
        private int segmentValues = ChunkLayout.DEFAULT_SEGMENT_VALUES;
        private long joinTimeoutMillis = DEFAULT_JOIN_TIMEOUT_MILLIS;

        private Builder() {
        }

        /** The group's name (required). */
        public Builder setGroup(String group) {
            this.group = group;
            return this;
        }

        /** This member's name (required). */
        public Builder setMember(String member) {
            this.member = member;
            return this;
        }

        /** Meet the others in a shared folder (this or {@link #setPeers} is required). */
        public Builder setRendezvous(Path folder) {
            this.rendezvous = folder;
            this.peers = List.of();
            return this;
        }

        /** Meet the others at these {@code host:port} (this or {@link #setRendezvous} is required). */
        public Builder setPeers(List<String> peers) {
            this.peers = List.copyOf(peers);
            this.rendezvous = null;
            return this;
        }

        /** The address to listen on (default {@value #DEFAULT_BIND_HOST}). */
        public Builder optBindHost(String host) {
            this.bindHost = host;
            return this;
        }

        /** The first port to try (default {@value #DEFAULT_PORT}). */
        public Builder optBindPort(int port) {
            this.bindPort = port;
            return this;
        }

        /** Ports tried after the first (default {@value #DEFAULT_PORT_RANGE}; 0 for exactly the port given). */
        public Builder optPortRange(int range) {
            this.portRange = range;
            return this;
        }

        /** How long a silent member is kept (default {@value #DEFAULT_FAILURE_TIMEOUT_MILLIS} ms). */
        public Builder optFailureTimeoutMillis(long millis) {
            this.failureTimeoutMillis = millis;
            return this;
        }

        /** TLS for every connection (default none: plain TCP inside a trusted network). */
        public Builder optTls(SSLContext context) {
            this.tls = context;
            return this;
        }

        /** The most float32 values in one all-reduce frame (default 1 MiB of them). */
        public Builder optSegmentValues(int values) {
            this.segmentValues = values;
            return this;
        }

        /** The longest a join may take (default {@value #DEFAULT_JOIN_TIMEOUT_MILLIS} ms, at least 1000). */
        public Builder optJoinTimeoutMillis(long millis) {
            this.joinTimeoutMillis = millis;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the missing or invalid setting
         * @throws NullPointerException if the group or member is missing
         */
        public ClusterConfig build() {
            return new ClusterConfig(group, member, bindHost, bindPort, portRange, rendezvous, peers,
                    failureTimeoutMillis, tls, segmentValues, joinTimeoutMillis);
        }
    }
}
