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
        assertThat(none.err()).contains("SAMTUNE_KEYSTORE_PASSWORD");

        Map<String, String> env = Map.of("SAMTUNE_KEYSTORE_PASSWORD", "s3cret-pass");
        CertsCommand.environment = env::get;
        CommandResult ca = run("ca", "--out", tmp.resolve("consortium").toString());
        assertThat(ca.exit()).as(ca.err()).isZero();
        CommandResult site = run("site", "--ca", tmp.resolve("consortium").toString(), "--name", "site-a", "--out",
                tmp.resolve("site-a").toString());
        assertThat(site.exit()).as(site.err()).isZero();
        assertThat(site.out() + site.err() + ca.out() + ca.err()).doesNotContain("s3cret-pass");
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
}
