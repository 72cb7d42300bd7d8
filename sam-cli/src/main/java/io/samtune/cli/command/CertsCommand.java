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
 * {@code samtune certs ca|site}: the consortium's certificates for federated training. Keystore
 * passwords come from {@code SAMTUNE_KEYSTORE_PASSWORD} only (never from options, never printed).
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Create the consortium's CA, or a site's certificate signed by it (PKCS#12, EC P-256).",
        subcommands = {CertsCommand.Ca.class, CertsCommand.Site.class},
        footer = {"", "The keystore password is read from SAMTUNE_KEYSTORE_PASSWORD. Existing files are never overwritten.",
            "Exit codes: 0 done; 1 unreadable CA or existing files; 2 bad options or no password."})
public final class CertsCommand implements Runnable {

    /** Where the password comes from (the environment; tests replace it). */
    static Function<String, String> environment = System::getenv;

    /** The name of the password's variable. */
    static final String PASSWORD_VARIABLE = "SAMTUNE_KEYSTORE_PASSWORD";

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return Commands.run(new CertsCommand(), out, err, args);
    }

    @Override
    public void run() {
        throw Commands.badOption(spec, "choose ca or site: samtune certs ca --out DIR, or samtune certs site --ca DIR"
                + " --name SITE --out DIR");
    }

    /** What a subcommand creates, given the password. */
    @FunctionalInterface
    private interface Creation {
        String create(char[] password) throws IOException;
    }

    /** Runs a creation with the password from the environment: its line on success, one error line otherwise. */
    private static int create(CommandLine.Model.CommandSpec spec, Creation creation) {
        char[] password = password(spec);
        try {
            spec.commandLine().getOut().println(creation.create(password));
            return 0;
        } catch (IllegalArgumentException e) {
            throw Commands.badOption(spec, e.getMessage());
        } catch (IOException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return 1;
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    static char[] password(CommandLine.Model.CommandSpec spec) {
        String p = environment.apply(PASSWORD_VARIABLE);
        if (p == null || p.isEmpty()) {
            throw Commands.badOption(spec, "set " + PASSWORD_VARIABLE + " to the keystore password (it is read from"
                    + " the environment only, so it never shows in a command line)");
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
            return create(spec, password -> {
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
            return create(spec, password -> {
                X509Certificate c = Certificates.createSite(ca, name, out, password);
                return "site " + Certificates.siteName(c) + ": " + out.resolve(name + ".p12") + " and "
                        + out.resolve("ca.pem") + ", valid until " + c.getNotAfter().toInstant();
            });
        }
    }
}
