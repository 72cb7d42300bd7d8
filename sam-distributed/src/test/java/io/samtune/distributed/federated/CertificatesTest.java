package io.samtune.distributed.federated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A consortium CA signs site certificates that authenticate each other in mutual TLS on 127.0.0.1. */
class CertificatesTest {

    @TempDir
    Path tmp;

    static final char[] PASSWORD = "correct horse".toCharArray();

    private static SSLContext context(Path p12, Path caPem) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(Certificates.readKeyStore(p12, PASSWORD), PASSWORD);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", Certificates.readPem(caPem));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext c = SSLContext.getInstance("TLSv1.3");
        c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }

    /** True when a client with {@code client} completes a mutual TLS 1.3 handshake with a server with {@code server}. */
    private static boolean handshake(SSLContext server, SSLContext client) throws Exception {
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            ss.setNeedClientAuth(true);
            ss.setSoTimeout(10_000);
            CompletableFuture<Boolean> accepted = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept(); InputStream in = s.getInputStream()) {
                    return in.read() == 42;
                } catch (Exception e) {
                    return false;
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(java.net.InetAddress.getLoopbackAddress(),
                    ss.getLocalPort()); OutputStream out = s.getOutputStream()) {
                s.setSoTimeout(10_000);
                s.startHandshake();
                out.write(42);
                out.flush();
            } catch (Exception e) {
                accepted.cancel(true);
                return false;
            }
            return accepted.get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void sitesOfOneConsortiumAuthenticateEachOtherAndOutsidersDoNot() throws Exception {
        Path consortium = tmp.resolve("consortium");
        X509Certificate ca = Certificates.createCa(consortium, "samtune-ca", PASSWORD);
        assertThat(Files.exists(consortium.resolve("ca.p12"))).isTrue();
        assertThat(Certificates.readPem(consortium.resolve("ca.pem"))).isEqualTo(ca);

        X509Certificate a = Certificates.createSite(consortium, "site-a", tmp.resolve("site-a"), PASSWORD);
        Certificates.createSite(consortium, "site-b", tmp.resolve("site-b"), PASSWORD);
        a.verify(ca.getPublicKey());
        assertThat(Certificates.siteName(a)).isEqualTo("site-a");
        assertThat(a.getSubjectAlternativeNames()).anyMatch(n -> n.get(1).equals("site-a"));
        Certificate[] chain = Certificates.readKeyStore(tmp.resolve("site-a/site-a.p12"), PASSWORD).getCertificateChain("site-a");
        assertThat(chain).hasSize(2);
        assertThat(chain[1]).isEqualTo(ca);
        assertThat(Files.readString(tmp.resolve("site-a/ca.pem"))).startsWith("-----BEGIN CERTIFICATE-----");

        SSLContext siteA = context(tmp.resolve("site-a/site-a.p12"), tmp.resolve("site-a/ca.pem"));
        SSLContext siteB = context(tmp.resolve("site-b/site-b.p12"), tmp.resolve("site-b/ca.pem"));
        assertThat(handshake(siteA, siteB)).as("two sites of the consortium").isTrue();

        Path other = tmp.resolve("other");
        Certificates.createCa(other, "other-ca", PASSWORD);
        Certificates.createSite(other, "intruder", tmp.resolve("intruder"), PASSWORD);
        SSLContext intruder = context(tmp.resolve("intruder/intruder.p12"), tmp.resolve("intruder/ca.pem"));
        assertThat(handshake(siteA, intruder)).as("a site certified by another CA").isFalse();
    }

    @Test
    void mistakesAreRefusedWithoutOverwritingAnything() throws Exception {
        Path consortium = tmp.resolve("consortium");
        Certificates.createCa(consortium, "samtune-ca", PASSWORD);
        byte[] before = Files.readAllBytes(consortium.resolve("ca.p12"));
        assertThatThrownBy(() -> Certificates.createCa(consortium, "again", PASSWORD)).hasMessageContaining("exists already");
        assertThat(Files.readAllBytes(consortium.resolve("ca.p12"))).isEqualTo(before);
        assertThatThrownBy(() -> Certificates.createSite(consortium, "site-a", tmp.resolve("a"), "wrong".toCharArray()))
                .hasMessageContaining("ca.p12").hasMessageContaining("SAMTUNE_CA_PASSWORD");
        assertThatThrownBy(() -> Certificates.createSite(consortium, "../escape", tmp.resolve("a"), PASSWORD))
                .hasMessageContaining("must be 1-64 letters");
        assertThatThrownBy(() -> Certificates.createCa(tmp.resolve("x"), "ca", new char[0]))
                .hasMessageContaining("SAMTUNE_CA_PASSWORD");
    }

    @org.junit.jupiter.api.Test
    void anExpiredOrNotYetValidCertificateIsNamedAtTheSiteThatHoldsIt(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        char[] pw = "pw-of-the-test".toCharArray();
        Certificates.createCa(dir.resolve("ca"), "test-ca", pw);
        java.time.Instant now = java.time.Instant.now();
        Certificates.createSite(dir.resolve("ca"), pw, "old", dir.resolve("old"), pw, now.minusSeconds(86_400 * 10),
                now.minusSeconds(86_400));
        Certificates.createSite(dir.resolve("ca"), pw, "early", dir.resolve("early"), pw, now.plusSeconds(86_400),
                now.plusSeconds(86_400 * 10));
        org.assertj.core.api.Assertions.assertThat(org.assertj.core.api.Assertions.catchThrowable(() ->
                io.samtune.cluster.ClusterTls.member(dir.resolve("old/old.p12"), pw, dir.resolve("old/ca.pem"),
                        java.util.Set.of("old"), line -> { }))).hasMessageContaining("old.p12")
                .hasMessageContaining("expired on").hasMessageContaining("samtune certs site");
        org.assertj.core.api.Assertions.assertThat(org.assertj.core.api.Assertions.catchThrowable(() ->
                io.samtune.cluster.ClusterTls.member(dir.resolve("early/early.p12"), pw, dir.resolve("early/ca.pem"),
                        java.util.Set.of("early"), line -> { }))).hasMessageContaining("not valid before")
                .hasMessageContaining("clock");
    }

    @org.junit.jupiter.api.Test
    void aRevokedPeerIsRefusedInTheHandshakeAndNamed(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Certificates.createCa(dir.resolve("ca"), "test-ca", PASSWORD);
        for (String site : java.util.List.of("site-a", "site-b", "site-c")) {
            Certificates.createSite(dir.resolve("ca"), site, dir.resolve(site), PASSWORD);
        }
        java.util.List<Object> revoked = java.util.List.copyOf(Certificates.revoke(dir.resolve("ca"), PASSWORD, "site-b"));
        assertThat(revoked).hasSize(1);
        Path crl = dir.resolve("ca").resolve(Certificates.CRL);
        java.util.List<String> log = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        var all = java.util.Set.of("site-a", "site-b", "site-c");
        SSLContext a = io.samtune.cluster.ClusterTls.member(dir.resolve("site-a/site-a.p12"), PASSWORD,
                dir.resolve("site-a/ca.pem"), crl, all, log::add).context();
        SSLContext b = io.samtune.cluster.ClusterTls.member(dir.resolve("site-b/site-b.p12"), PASSWORD,
                dir.resolve("site-b/ca.pem"), all, line -> { }).context();
        SSLContext c = io.samtune.cluster.ClusterTls.member(dir.resolve("site-c/site-c.p12"), PASSWORD,
                dir.resolve("site-c/ca.pem"), all, line -> { }).context();
        assertThat(handshake(a, c)).as("a site not revoked").isTrue();
        assertThat(handshake(a, b)).as("a revoked site").isFalse();
        assertThat(log).anyMatch(l -> l.contains("peer 'site-b'") && l.contains("revoked by the consortium's CA"));
        // revoking again adds nothing; a list signed by another CA is refused by name
        assertThat(Certificates.revoke(dir.resolve("ca"), PASSWORD, "site-b")).isEmpty();
        Certificates.createCa(dir.resolve("other"), "other-ca", PASSWORD);
        assertThatThrownBy(() -> io.samtune.cluster.ClusterTls.readCrl(crl, Certificates.readPem(dir.resolve("other/ca.pem"))))
                .hasMessageContaining("revoked.crl").hasMessageContaining("not signed by the CA other-ca");
    }
}
