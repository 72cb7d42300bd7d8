package io.samtune.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.samtune.data.CommandResult;
import io.samtune.distributed.federated.Certificates;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** samtune certs: a CA and site certificates, the password from the environment only. */
class CertsCommandTest {

    @TempDir
    Path tmp;

    @AfterEach
    void restore() {
        CertsCommand.environment = System::getenv;
    }

    private static CommandResult run(String... args) {
        return CommandResult.of(CertsCommand::run, args);
    }

    @Test
    void caAndSitesFromTheCommandLine() throws Exception {
        CertsCommand.environment = name -> null;
        CommandResult none = run("ca", "--out", tmp.resolve("c").toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("SAMTUNE_CA_PASSWORD");

        Map<String, String> env = Map.of("SAMTUNE_KEYSTORE_PASSWORD", "s3cret-pass", "SAMTUNE_CA_PASSWORD", "ca-only-pass");
        CertsCommand.environment = env::get;
        CommandResult ca = run("ca", "--out", tmp.resolve("consortium").toString());
        assertThat(ca.exit()).as(ca.err()).isZero();
        CommandResult site = run("site", "--ca", tmp.resolve("consortium").toString(), "--name", "site-a", "--out",
                tmp.resolve("site-a").toString());
        assertThat(site.exit()).as(site.err()).isZero();
        assertThat(site.out() + site.err() + ca.out() + ca.err()).doesNotContain("s3cret-pass").doesNotContain("ca-only");
        // the site's password does not open the CA's key
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Certificates.readKeyStore(
                tmp.resolve("consortium/ca.p12"), "s3cret-pass".toCharArray()))).isNotNull();
        var cert = (java.security.cert.X509Certificate) Certificates.readKeyStore(tmp.resolve("site-a/site-a.p12"),
                "s3cret-pass".toCharArray()).getCertificate("site-a");
        assertThat(Certificates.siteName(cert)).isEqualTo("site-a");

        CommandResult again = run("ca", "--out", tmp.resolve("consortium").toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("exists already");
        CommandResult badName = run("site", "--ca", tmp.resolve("consortium").toString(), "--name", "a/b", "--out",
                tmp.resolve("x").toString());
        assertThat(badName.exit()).isEqualTo(2);
    }

    @Test
    void aRevokedSiteIsNamedAtItsOwnStartAndAnotherCasCaPemIsNotKept() throws Exception {
        CertsCommand.environment = Map.of("SAMTUNE_KEYSTORE_PASSWORD", "site-pass", "SAMTUNE_CA_PASSWORD", "ca-pass")::get;
        assertThat(run("ca", "--out", tmp.resolve("consortium").toString()).exit()).isZero();
        assertThat(run("site", "--ca", tmp.resolve("consortium").toString(), "--name", "site-b", "--out",
                tmp.resolve("site-b").toString()).exit()).isZero();
        CommandResult revoke = run("revoke", "--ca", tmp.resolve("consortium").toString(), "--name", "site-b");
        assertThat(revoke.exit()).as(revoke.err()).isZero();
        assertThat(revoke.out()).contains("revoked 1 certificate of site-b").contains("revoked.crl");
        Path crl = tmp.resolve("consortium").resolve(Certificates.CRL);
        assertThat(io.samtune.cluster.ClusterTls.readCrl(crl, Certificates.readPem(tmp.resolve("consortium/ca.pem")))
                .getRevokedCertificates()).hasSize(1);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> io.samtune.cluster.ClusterTls.member(
                tmp.resolve("site-b/site-b.p12"), "site-pass".toCharArray(), tmp.resolve("site-b/ca.pem"), crl,
                java.util.Set.of("site-b"), line -> { }));
        assertThat(t).hasMessageContaining("site-b.p12").hasMessageContaining("revoked by the consortium");
        CommandResult unknown = run("revoke", "--ca", tmp.resolve("consortium").toString(), "--name", "site-q");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("issued no certificate to 'site-q'");

        // a site folder holding another consortium's ca.pem is refused, not silently kept
        CertsCommand.environment = Map.of("SAMTUNE_KEYSTORE_PASSWORD", "site-pass", "SAMTUNE_CA_PASSWORD", "other-pass")::get;
        assertThat(run("ca", "--out", tmp.resolve("other").toString()).exit()).isZero();
        CommandResult mixed = run("site", "--ca", tmp.resolve("other").toString(), "--name", "site-c", "--out",
                tmp.resolve("site-b").toString());
        assertThat(mixed.exit()).isEqualTo(1);
        assertThat(mixed.err()).contains("ca.pem is the certificate of another CA");
    }
}
