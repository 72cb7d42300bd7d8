package io.samtune.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS 1.3 context of a member: its own key and certificate chain, trust in one CA only, and a
 * peer accepted only when its certificate's common name is in the allow-list (JGroups itself checks
 * the chain and nothing else). Each refusal is told to {@code log}, naming the peer.
 */
public final class ClusterTls {

    private ClusterTls() {
    }

    /**
     * A member's TLS context, the name its certificate was issued to, and what it signs its
     * messages with.
     *
     * @param context the TLS context for the transport
     * @param name the common name of the member's certificate
     * @param key the member's private key
     * @param certificate the member's certificate
     * @param ca the certificate authority trusted
     */
    public record Member(SSLContext context, String name, java.security.PrivateKey key, X509Certificate certificate,
                         X509Certificate ca, Set<java.math.BigInteger> revoked) {

        /** Copies the revoked serials. */
        public Member {
            revoked = Set.copyOf(revoked);
        }

        /** A member of a CA that revoked nothing. */
        public Member(SSLContext context, String name, java.security.PrivateKey key, X509Certificate certificate,
                      X509Certificate ca) {
            this(context, name, key, certificate, ca, Set.of());
        }

        /** Whether the CA revoked {@code cert}. */
        public boolean isRevoked(X509Certificate cert) {
            return revoked.contains(cert.getSerialNumber());
        }
    }

    /**
     * Reads a member's keystore and the CA, checks that the CA signed the member's certificate, and
     * builds its context.
     *
     * @param keystore a PKCS#12 file holding the member's key and certificate chain
     * @param password its password
     * @param ca the only certificate authority trusted (PEM)
     * @param allowed the common names of the peers accepted, or null for every certificate the CA signed
     * @param log told of every refused peer
     * @throws IOException naming the file and what to do when it cannot be used
     */
    public static Member member(Path keystore, char[] password, Path ca, Set<String> allowed, Consumer<String> log)
            throws IOException {
        return member(keystore, password, ca, null, allowed, log);
    }

    /**
     * As {@link #member(Path, char[], Path, Set, Consumer)}, refusing the certificates the CA revoked
     * in {@code crl} (a PEM or DER revocation list signed by the CA, or null); this member's own
     * certificate must be valid now and not revoked.
     */
    public static Member member(Path keystore, char[] password, Path ca, Path crl, Set<String> allowed,
                                Consumer<String> log) throws IOException {
        KeyStore ks = readKeyStore(keystore, password);
        X509Certificate authority = readPem(ca);
        Set<java.math.BigInteger> revoked = new java.util.TreeSet<>();
        if (crl != null) {
            java.security.cert.X509CRL list = readCrl(crl, authority);
            if (list.getRevokedCertificates() != null) {
                list.getRevokedCertificates().forEach(e -> revoked.add(e.getSerialNumber()));
            }
        }
        try {
            X509Certificate own = null;
            java.security.PrivateKey key = null;
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias) && ks.getCertificate(alias) instanceof X509Certificate x
                        && ks.getKey(alias, password) instanceof java.security.PrivateKey k) {
                    own = x;
                    key = k;
                }
            }
            if (own == null) {
                throw new IOException(keystore + ": holds no key and certificate (make one with samtune certs site)");
            }
            try {
                own.verify(authority.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IOException(keystore + " was not signed by the CA in " + ca + "; the peers would refuse it"
                        + " (issue it with samtune certs site --ca of the same CA)");
            }
            try {
                own.checkValidity();
            } catch (java.security.cert.CertificateExpiredException e) {
                throw new IOException(keystore + ": its certificate expired on " + own.getNotAfter().toInstant()
                        + "; peers refuse it. Ask the consortium for a new one (samtune certs site)");
            } catch (java.security.cert.CertificateNotYetValidException e) {
                throw new IOException(keystore + ": its certificate is not valid before " + own.getNotBefore().toInstant()
                        + "; check this machine's clock");
            }
            if (revoked.contains(own.getSerialNumber())) {
                throw new IOException(keystore + ": its certificate was revoked by the consortium (" + crl + "); peers"
                        + " refuse it. Ask the consortium for a new one");
            }
            return new Member(context(ks, password, authority, allowed, revoked, log), commonName(own), key, own,
                    authority, revoked);
        } catch (GeneralSecurityException e) {
            throw new IOException(keystore + ": cannot be used for TLS: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a PKCS#12 keystore.
     *
     * @throws IOException naming the file when it is missing or the password is wrong
     */
    public static KeyStore readKeyStore(Path file, char[] password) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": keystore not found");
        }
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": cannot be opened: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(file + ": cannot be opened (wrong SAMTUNE_KEYSTORE_PASSWORD?)", e);
        }
    }

    /**
     * Reads a certificate revocation list (PEM or DER) and checks that {@code ca} signed it.
     *
     * @throws IOException naming the file when it is missing, not a list, or not the CA's
     */
    public static java.security.cert.X509CRL readCrl(Path file, X509Certificate ca) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) > (16 << 20)) {
            throw new IOException(file + ": no revocation list there (a file of at most 16 MB from samtune certs revoke)");
        }
        java.security.cert.X509CRL crl;
        try (InputStream in = Files.newInputStream(file)) {
            crl = (java.security.cert.X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        } catch (GeneralSecurityException | ClassCastException | IllegalArgumentException e) {
            throw new IOException(file + ": not a certificate revocation list (samtune certs revoke writes one)", e);
        }
        if (crl == null) {
            throw new IOException(file + ": not a certificate revocation list (samtune certs revoke writes one)");
        }
        try {
            crl.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": a revocation list not signed by the CA " + commonName(ca) + "; ignore it"
                    + " only by removing \"crl\"", e);
        }
        return crl;
    }

    /** Reads a PEM certificate, naming the file when it is not one. */
    public static X509Certificate readPem(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": certificate not found");
        }
        if (Files.size(file) > 1 << 20) {
            throw new IOException(file + ": is " + Files.size(file) + " bytes, not a PEM certificate (a few kB)");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (GeneralSecurityException | ClassCastException e) {
            // the JDK's own words ("Empty input", "Could not parse certificate") say nothing to a user
            throw new IOException(file + ": not a PEM certificate (a text file starting with -----BEGIN CERTIFICATE-----,"
                    + " as samtune certs writes); give the consortium's ca.pem", e);
        }
    }

    /**
     * A context for the TCP transport.
     *
     * @param keys a keystore holding this member's private key and certificate chain
     * @param password the keystore's password
     * @param ca the only certificate authority trusted
     * @param allowed the common names of the peers accepted, or null for every certificate the CA signed
     * @param log told of every refused peer (one line each)
     * @throws GeneralSecurityException if the keystore cannot be used
     */
    public static SSLContext context(KeyStore keys, char[] password, X509Certificate ca, Set<String> allowed,
                                     Consumer<String> log) throws GeneralSecurityException {
        return context(keys, password, ca, allowed, Set.of(), log);
    }

    /** As {@link #context(KeyStore, char[], X509Certificate, Set, Consumer)}, refusing the {@code revoked} serials. */
    public static SSLContext context(KeyStore keys, char[] password, X509Certificate ca, Set<String> allowed,
                                     Set<java.math.BigInteger> revoked, Consumer<String> log)
            throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try {
            trust.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        X509ExtendedTrustManager chain = null;
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                chain = x;
            }
        }
        if (chain == null) {
            throw new GeneralSecurityException("no X.509 trust manager in this JDK");
        }
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), new TrustManager[] {new AllowList(chain, ca, allowed == null ? null : new TreeSet<>(allowed), revoked, log)},
                null);
        return ctx;
    }

    /** The common name (CN) of a certificate's subject, or "" when it has none. */
    public static String commonName(X509Certificate cert) {
        try {
            List<Rdn> rdns = new LdapName(cert.getSubjectX500Principal().getName()).getRdns();
            for (int i = rdns.size() - 1; i >= 0; i--) {
                if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdns.get(i).getValue());
                }
            }
            return "";
        } catch (InvalidNameException e) {
            return "";
        }
    }

    /** Checks the chain against the one CA, then the peer's name against the allow-list. */
    private static final class AllowList extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager chain;
        private final X509Certificate ca;
        private final Set<String> allowed;
        private final Set<java.math.BigInteger> revoked;
        private final Consumer<String> log;

        AllowList(X509ExtendedTrustManager chain, X509Certificate ca, Set<String> allowed,
                  Set<java.math.BigInteger> revoked, Consumer<String> log) {
            this.chain = chain;
            this.ca = ca;
            this.allowed = allowed;
            this.revoked = Set.copyOf(revoked);
            this.log = log;
        }

        private void check(X509Certificate[] certs, String where, ChainCheck c) throws CertificateException {
            if (certs == null || certs.length == 0) {
                refuse("a peer" + where + " without a certificate");
            }
            String name = commonName(certs[0]);
            try {
                certs[0].checkValidity();
            } catch (java.security.cert.CertificateExpiredException e) {
                refuse("peer '" + name + "'" + where + ": its certificate expired on " + certs[0].getNotAfter().toInstant());
            } catch (java.security.cert.CertificateNotYetValidException e) {
                refuse("peer '" + name + "'" + where + ": its certificate is not valid before "
                        + certs[0].getNotBefore().toInstant() + " (check that site's clock)");
            }
            if (revoked.contains(certs[0].getSerialNumber())) {
                refuse("peer '" + name + "'" + where + ": its certificate was revoked by the consortium's CA");
            }
            try {
                c.run();
            } catch (CertificateException e) {
                refuse("peer '" + name + "'" + where + ": its certificate is not from this consortium's CA ("
                        + commonName(ca) + "; it shows issuer " + certs[0].getIssuerX500Principal().getName() + ")");
            }
            if (allowed != null && !allowed.contains(name)) {
                refuse("peer '" + name + "'" + where + ": not in allowedSites " + allowed);
            }
        }

        private void refuse(String why) throws CertificateException {
            String line = "refused " + why;
            log.accept(line);
            throw new CertificateException(line);
        }

        private static String where(Socket s) {
            return s == null || s.getRemoteSocketAddress() == null ? "" : " at " + s.getRemoteSocketAddress();
        }

        private static String where(SSLEngine e) {
            return e == null || e.getPeerHost() == null ? "" : " at " + e.getPeerHost() + ":" + e.getPeerPort();
        }

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
            check(c, where(s), () -> chain.checkClientTrusted(c, a, s));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException {
            check(c, where(s), () -> chain.checkServerTrusted(c, a, s));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
            check(c, where(e), () -> chain.checkClientTrusted(c, a, e));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException {
            check(c, where(e), () -> chain.checkServerTrusted(c, a, e));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException {
            check(c, "", () -> chain.checkClientTrusted(c, a));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException {
            check(c, "", () -> chain.checkServerTrusted(c, a));
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {ca};
        }
    }

    @FunctionalInterface
    private interface ChainCheck {
        void run() throws CertificateException;
    }
}
