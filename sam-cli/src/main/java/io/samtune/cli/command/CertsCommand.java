package io.samtune.cli.command;

import io.samtune.distributed.federated.Certificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code samtune certs ca|site|revoke}: the consortium's certificates for federated training.
 * Passwords come from the environment only (never from options, never printed): the CA's from
 * {@code SAMTUNE_CA_PASSWORD}, which sites never need, a site's from {@code SAMTUNE_KEYSTORE_PASSWORD}.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Create the consortium's CA, a site's certificate signed by it (PKCS#12, EC P-256), or revoke a site's.",
        subcommands = {CertsCommand.Ca.class, CertsCommand.Site.class, CertsCommand.Revoke.class},
        footer = {"", "The CA's password is read from SAMTUNE_CA_PASSWORD, a site keystore's from SAMTUNE_KEYSTORE_PASSWORD.",
            "Existing files are never overwritten.",
            "Exit codes: 0 done; 1 unreadable CA or existing files; 2 bad options or no password."})
public final class CertsCommand implements Runnable {

    /** Where the password comes from (the environment; tests replace it). */
    static Function<String, String> environment = System::getenv;

    /** The name of the variable holding a site keystore's password. */
    static final String PASSWORD_VARIABLE = "SAMTUNE_KEYSTORE_PASSWORD";
    /** The name of the variable holding the CA keystore's password (the sites never need it). */
    static final String CA_PASSWORD_VARIABLE = "SAMTUNE_CA_PASSWORD";

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new CertsCommand(), out, err, args);
    }

    @Override
    public void run() {
        throw Commands.badOption(spec, "choose ca, site or revoke: samtune certs ca --out DIR, samtune certs site --ca DIR"
                + " --name SITE --out DIR, or samtune certs revoke --ca DIR --name SITE");
    }

    /** What a subcommand creates, given the CA's password and a site's (null where not needed). */
    @FunctionalInterface
    private interface Creation {
        String create(char[] caPassword, char[] sitePassword) throws IOException;
    }

    /** Runs a creation with the passwords from the environment: its line on success, one error line otherwise. */
    private static int create(CommandLine.Model.CommandSpec spec, boolean needsSite, Creation creation) {
        char[] ca = password(spec, CA_PASSWORD_VARIABLE, "the CA's password");
        char[] site = needsSite ? password(spec) : null;
        if (site != null && java.util.Arrays.equals(ca, site)) {
            spec.commandLine().getErr().println("warning: " + CA_PASSWORD_VARIABLE + " equals " + PASSWORD_VARIABLE
                    + ": whoever holds the site's keystore password can then open the CA's key");
        }
        try {
            spec.commandLine().getOut().println(creation.create(ca, site));
            return 0;
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage());
        } catch (IOException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return 1;
        } finally {
            java.util.Arrays.fill(ca, '\0');
            if (site != null) {
                java.util.Arrays.fill(site, '\0');
            }
        }
    }

    /** A site keystore's password, from {@value #PASSWORD_VARIABLE}. */
    static char[] password(CommandLine.Model.CommandSpec spec) {
        return password(spec, PASSWORD_VARIABLE, "the keystore password");
    }

    private static char[] password(CommandLine.Model.CommandSpec spec, String variable, String what) {
        String p = environment.apply(variable);
        if (p == null || p.isEmpty()) {
            throw Commands.badOption(spec, "set " + variable + " to " + what + " (it is read from the environment only,"
                    + " so it never shows in a command line)");
        }
        return p.toCharArray();
    }

    /** {@code samtune certs ca}. */
    @Command(name = "ca", mixinStandardHelpOptions = true, description = "Create the consortium's CA: DIR/ca.p12 (keep it private) and DIR/ca.pem.")
    static final class Ca implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for ca.p12 and ca.pem.")
        Path out;

        @Option(names = "--name", paramLabel = "NAME", description = "The CA's name (default: ${DEFAULT-VALUE}).")
        String name = "samtune-consortium-ca";

        @Override
        public Integer call() {
            return create(spec, false, (password, unused) -> {
                X509Certificate c = Certificates.createCa(out, name, password);
                return "CA " + Certificates.siteName(c) + ": " + out.resolve("ca.p12") + " (keep it private), "
                        + out.resolve("ca.pem") + " (give it to every site)";
            });
        }
    }

    /** {@code samtune certs site}. */
    @Command(name = "site", mixinStandardHelpOptions = true, description = "Create a site's certificate signed by the CA: OUT/NAME.p12 (key and chain) and OUT/ca.pem.")
    static final class Site implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--ca", required = true, paramLabel = "DIR", description = "The CA's folder (ca.p12).")
        Path ca;

        @Option(names = "--name", required = true, paramLabel = "SITE", description = "The site's name, as peers allow it.")
        String name;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the site's files.")
        Path out;

        @Override
        public Integer call() {
            return create(spec, true, (caPassword, sitePassword) -> {
                X509Certificate c = Certificates.createSite(ca, caPassword, name, out, sitePassword);
                return "site " + Certificates.siteName(c) + ": " + out.resolve(name + ".p12") + " and "
                        + out.resolve("ca.pem") + ", valid until " + c.getNotAfter().toInstant();
            });
        }
    }

    /** {@code samtune certs revoke}. */
    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke every certificate the CA issued to"
            + " a site: DIR/revoked.crl, which every site names as \"crl\" in its federation.json.")
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--ca", required = true, paramLabel = "DIR", description = "The CA's folder (ca.p12).")
        Path ca;

        @Option(names = "--name", required = true, paramLabel = "SITE", description = "The site whose certificates to revoke.")
        String name;

        @Override
        public Integer call() {
            return create(spec, false, (caPassword, unused) -> {
                var serials = Certificates.revoke(ca, caPassword, name);
                return "revoked " + serials.size() + " certificate" + (serials.size() == 1 ? "" : "s") + " of " + name
                        + (serials.isEmpty() ? " (all were revoked before)" : "") + "; give " + ca.resolve(Certificates.CRL)
                        + " to every site (federation.json \"crl\")";
            });
        }
    }
}
