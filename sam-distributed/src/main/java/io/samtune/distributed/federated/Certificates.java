package io.samtune.distributed.federated;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The consortium's certificates: a CA ({@code ca.p12}, its private key - keep it private - and
 * {@code ca.pem}, its certificate for everyone) and, per site, a certificate for the site's name
 * signed by the CA ({@code NAME.p12}: key and chain; beside it {@code ca.pem}). Keys are EC P-256,
 * signatures SHA256withECDSA; a site certificate serves both ends of mutual TLS and carries the site
 * name as its common name and DNS name, which peers check against their allow-list. Existing files
 * are never overwritten.
 */
public final class Certificates {

    /** A site or CA name: letters, digits, dot, dash, underscore, at most 64. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** The keystore alias of the CA's key. */
    public static final String CA_ALIAS = "ca";
    /** The CA's revocation list, in its folder. */
    public static final String CRL = "revoked.crl";
    /** The CA's copies of the certificates it issued, in its folder. */
    static final String ISSUED = "issued";

    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration SITE_VALIDITY = Duration.ofDays(825);

    private Certificates() {
    }

    /**
     * Creates a CA in {@code dir}: {@code ca.p12} (key and certificate) and {@code ca.pem}.
     *
     * @throws IOException if a file exists already (nothing is overwritten) or cannot be written
     * @throws IllegalArgumentException for a bad name or an empty password
     */
    public static X509Certificate createCa(Path dir, String name, char[] password) throws IOException {
        checkName(name);
        checkPassword(password, "SAMTUNE_CA_PASSWORD");
        Path p12 = dir.resolve("ca.p12");
        Path pem = dir.resolve("ca.pem");
        refuseExisting(p12, pem);
        try {
            KeyPair keys = keyPair();
            X500Name subject = new X500Name("CN=" + name + ",O=samtune consortium");
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(CA_VALIDITY)), subject, keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = sign(b, keys.getPrivate());
            Files.createDirectories(dir);
            writeKeyStore(p12, CA_ALIAS, keys.getPrivate(), new Certificate[] {cert}, password);
            writeNew(pem, pem(cert));
            return cert;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create the CA in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates a site certificate signed by the CA in {@code caDir}, with one password for both
     * keystores (tests, or one person holding both); sites of a consortium use
     * {@link #createSite(Path, char[], String, Path, char[])}.
     */
    public static X509Certificate createSite(Path caDir, String name, Path outDir, char[] password) throws IOException {
        return createSite(caDir, password, name, outDir, password);
    }

    /**
     * Creates a site certificate signed by the CA in {@code caDir}: {@code outDir/NAME.p12} (key and
     * chain, alias NAME) and {@code outDir/ca.pem}; the CA keeps a copy in {@code caDir/issued/}
     * (what {@link #revoke} revokes).
     *
     * @param caPassword the password of the CA's keystore (the site never needs it)
     * @param sitePassword the password of the new keystore
     * @throws IOException if the CA cannot be read (wrong password, missing files), a file exists
     *     already, or {@code outDir} holds another CA's {@code ca.pem}
     */
    public static X509Certificate createSite(Path caDir, char[] caPassword, String name, Path outDir, char[] sitePassword)
            throws IOException {
        Instant now = Instant.now();
        return createSite(caDir, caPassword, name, outDir, sitePassword, now.minusSeconds(60), now.plus(SITE_VALIDITY));
    }

    /** A site certificate valid from {@code notBefore} to {@code notAfter} (tests of expiry). */
    static X509Certificate createSite(Path caDir, char[] caPassword, String name, Path outDir, char[] sitePassword,
                                      Instant notBefore, Instant notAfter) throws IOException {
        checkName(name);
        checkPassword(caPassword, "SAMTUNE_CA_PASSWORD");
        checkPassword(sitePassword, "SAMTUNE_KEYSTORE_PASSWORD");
        Path p12 = outDir.resolve(name + ".p12");
        Path pem = outDir.resolve("ca.pem");
        refuseExisting(p12);
        KeyStore ca = readCa(caDir, caPassword);
        try {
            PrivateKey caKey = (PrivateKey) ca.getKey(CA_ALIAS, caPassword);
            X509Certificate caCert = (X509Certificate) ca.getCertificate(CA_ALIAS);
            if (caKey == null || caCert == null) {
                throw new IOException(caDir.resolve("ca.p12") + " holds no CA key (alias '" + CA_ALIAS + "')");
            }
            if (Files.exists(pem) && !readPem(pem).equals(caCert)) {
                throw new IOException(pem + " is the certificate of another CA (" + siteName(readPem(pem)) + ", not "
                        + siteName(caCert) + "); choose another --out for a site of this consortium");
            }
            KeyPair keys = keyPair();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(), Date.from(notBefore),
                    Date.from(notAfter), new X500Name("CN=" + name + ",O=samtune consortium"),
                    keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, name)));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
            X509Certificate cert = sign(b, caKey);
            Files.createDirectories(outDir);
            writeKeyStore(p12, name, keys.getPrivate(), new Certificate[] {cert, caCert}, sitePassword);
            if (!Files.exists(pem)) {
                writeNew(pem, pem(caCert));
            }
            Files.createDirectories(caDir.resolve(ISSUED));
            writeNew(caDir.resolve(ISSUED).resolve(name + "-" + cert.getSerialNumber().toString(16) + ".pem"), pem(cert));
            return cert;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create the certificate of " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Revokes every certificate the CA in {@code caDir} issued to {@code name}: adds them to the CA's
     * revocation list {@code caDir/revoked.crl} (signed by the CA, valid for a year; give it to every
     * site as federation.json's {@code "crl"}).
     *
     * @return the serial numbers revoked now
     * @throws IOException if the CA cannot be read or issued no certificate to {@code name}
     */
    public static java.util.List<BigInteger> revoke(Path caDir, char[] caPassword, String name) throws IOException {
        checkName(name);
        checkPassword(caPassword, "SAMTUNE_CA_PASSWORD");
        KeyStore ca = readCa(caDir, caPassword);
        java.util.List<X509Certificate> issued = new java.util.ArrayList<>();
        Path folder = caDir.resolve(ISSUED);
        if (Files.isDirectory(folder)) {
            try (var files = Files.list(folder)) {
                for (Path f : files.sorted().toList()) {
                    if (f.getFileName().toString().startsWith(name + "-")) {
                        X509Certificate c = readPem(f);
                        if (siteName(c).equals(name)) {
                            issued.add(c);
                        }
                    }
                }
            }
        }
        if (issued.isEmpty()) {
            throw new IOException("the CA in " + caDir + " issued no certificate to '" + name + "' (see " + folder + ")");
        }
        Path crlFile = caDir.resolve(CRL);
        try {
            PrivateKey caKey = (PrivateKey) ca.getKey(CA_ALIAS, caPassword);
            X509Certificate caCert = (X509Certificate) ca.getCertificate(CA_ALIAS);
            Instant now = Instant.now();
            var b = new org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder(caCert, Date.from(now));
            b.setNextUpdate(Date.from(now.plus(Duration.ofDays(365))));
            java.util.Set<BigInteger> already = new java.util.TreeSet<>();
            if (Files.exists(crlFile)) {
                for (var e : io.samtune.cluster.ClusterTls.readCrl(crlFile, caCert).getRevokedCertificates()) {
                    already.add(e.getSerialNumber());
                    b.addCRLEntry(e.getSerialNumber(), e.getRevocationDate(), org.bouncycastle.asn1.x509.CRLReason.unspecified);
                }
            }
            java.util.List<BigInteger> now_ = new java.util.ArrayList<>();
            for (X509Certificate c : issued) {
                if (already.add(c.getSerialNumber())) {
                    b.addCRLEntry(c.getSerialNumber(), Date.from(now), org.bouncycastle.asn1.x509.CRLReason.unspecified);
                    now_.add(c.getSerialNumber());
                }
            }
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKey);
            java.security.cert.X509CRL crl = new org.bouncycastle.cert.jcajce.JcaX509CRLConverter().getCRL(b.build(signer));
            StringWriter w = new StringWriter();
            w.write("-----BEGIN X509 CRL-----\n");
            w.write(java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(crl.getEncoded()));
            w.write("\n-----END X509 CRL-----\n");
            Path tmp = crlFile.resolveSibling(CRL + ".tmp");
            Files.writeString(tmp, w.toString(), StandardCharsets.US_ASCII);
            Files.move(tmp, crlFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return now_;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot revoke the certificates of " + name + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore readCa(Path caDir, char[] caPassword) throws IOException {
        try {
            return readKeyStore(caDir.resolve("ca.p12"), caPassword);
        } catch (IOException e) {
            throw new IOException(e.getMessage().replace("SAMTUNE_KEYSTORE_PASSWORD", "SAMTUNE_CA_PASSWORD"), e);
        }
    }

    /** The site name a certificate was issued to (its common name). */
    public static String siteName(X509Certificate cert) {
        X500Name subject = new X500Name(cert.getSubjectX500Principal().getName());
        var cn = subject.getRDNs(BCStyle.CN);
        return cn.length == 0 ? "" : IETFUtils.valueToString(cn[0].getFirst().getValue());
    }

    /**
     * Reads a PKCS#12 keystore.
     *
     * @throws IOException naming the file when it is missing or the password is wrong
     */
    public static KeyStore readKeyStore(Path file, char[] password) throws IOException {
        return io.samtune.cluster.ClusterTls.readKeyStore(file, password);
    }

    /** Reads a PEM certificate. */
    public static X509Certificate readPem(Path file) throws IOException {
        return io.samtune.cluster.ClusterTls.readPem(file);
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    private static void writeKeyStore(Path file, String alias, PrivateKey key, Certificate[] chain, char[] password)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, key, password, chain);
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
            ks.store(out, password);
        }
        restrict(file);
    }

    private static void writeNew(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
    }

    private static String pem(X509Certificate cert) throws GeneralSecurityException {
        StringWriter w = new StringWriter();
        w.write("-----BEGIN CERTIFICATE-----\n");
        w.write(java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(cert.getEncoded()));
        w.write("\n-----END CERTIFICATE-----\n");
        return w.toString();
    }

    /** Private keys are readable by their owner only. */
    private static void restrict(Path file) {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: its own defaults apply
        }
    }

    private static void refuseExisting(Path... files) throws IOException {
        for (Path f : files) {
            if (Files.exists(f)) {
                throw new IOException(f + " exists already; nothing was overwritten (choose another --out)");
            }
        }
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name '" + name + "' must be 1-64 letters, digits, '.', '-' or '_'"
                    + " starting with a letter or digit");
        }
    }

    private static void checkPassword(char[] password, String variable) {
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("the keystore password is empty; set " + variable);
        }
    }
}
