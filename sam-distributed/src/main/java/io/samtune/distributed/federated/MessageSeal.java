package io.samtune.distributed.federated;

import io.samtune.cluster.ClusterTls;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signs this site's messages and checks the others'. A sealed message is
 * {@code [certificate][session][payload][signature]}; the signature covers the sender's name, the
 * federation, the sender's session (16 random bytes drawn when it joins) and the SHA-256 of the
 * payload, which holds the message type and its round. A message is believed only from a member
 * whose certificate the consortium's CA issued to that member's name; the session binds it to one
 * run of the sender, so nothing recorded can be replayed into another run (see
 * {@link SiteAdmission}), and the round inside the payload binds it to one round.
 */
final class MessageSeal {

    /** ECDSA as r || s, of a fixed size for the curve, so a message's size is known before it is signed. */
    private static final String SIGNATURE = "SHA256withECDSAinP1363Format";
    private static final byte[] DOMAIN = "samtune-federation-3".getBytes(StandardCharsets.UTF_8);
    private static final int MAX_CERTIFICATE = 16 << 10;
    private static final int MAX_SIGNATURE = 1 << 10;
    static final int SESSION_BYTES = 16;

    /** A message that passed: who sent it, in which session, and where its payload lies in what was sent. */
    record Opened(String from, byte[] session, byte[] sealed, int payloadOffset, int payloadLength) {

        /** Its size as sent. */
        int size() {
            return sealed.length;
        }

        /**
         * Its message, read in place.
         *
         * @throws IOException when the payload is not a message of this federation
         */
        Messages.Message decode() throws java.io.IOException {
            return Messages.decode(sealed, payloadOffset, payloadLength);
        }
    }

    /** Why a message was not believed; {@code foreign} when its certificate is not the consortium's. */
    static final class Refused extends Exception {
        private final boolean foreign;

        Refused(String why, boolean foreign) {
            super(why, null, false, false);
            this.foreign = foreign;
        }

        /** True when the sender's certificate is not from the consortium's CA (not a claim on a member's name). */
        boolean foreign() {
            return foreign;
        }
    }

    private final String self;
    private final String group;
    private final ClusterTls.Member identity;
    private final byte[] certificate;
    private final byte[] session = new byte[SESSION_BYTES];
    private final int signatureBytes;
    /** Certificates already checked against the CA, by their encoding. */
    private final Map<ByteBuffer, X509Certificate> checked = new ConcurrentHashMap<>();

    /**
     * @param self this site's name (its certificate's common name)
     * @param group the federation
     * @param identity this site's key and certificate, and the consortium's CA
     */
    MessageSeal(String self, String group, ClusterTls.Member identity) {
        this.self = self;
        this.group = group;
        this.identity = identity;
        try {
            this.certificate = identity.certificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalArgumentException("this site's certificate cannot be encoded: " + e.getMessage(), e);
        }
        new SecureRandom().nextBytes(session);
        if (!(identity.key() instanceof java.security.interfaces.ECKey ec)) {
            throw new IllegalArgumentException("this site's key is " + identity.key().getAlgorithm()
                    + ", not an EC key: make its keystore with samtune certs site");
        }
        this.signatureBytes = 2 * ((ec.getParams().getCurve().getField().getFieldSize() + 7) / 8);
    }

    /** This site's session: fresh for every run of it. */
    byte[] session() {
        return session.clone();
    }

    /** {@code m} signed by this site: written once, into the message sent (no copy of its payload). */
    byte[] seal(Messages.Message m) {
        int length = Messages.size(m);
        MessageWriter.Out out = new MessageWriter.Out(12 + certificate.length + SESSION_BYTES + length + signatureBytes);
        int at = header(out, length);
        Messages.write(m, out);
        return signed(out, at, length);
    }

    /** Writes what precedes a payload of {@code length} bytes; returns where the payload starts. */
    private int header(MessageWriter.Out out, int length) {
        ByteBuffer b = ByteBuffer.allocate(8 + certificate.length + SESSION_BYTES);
        b.putInt(certificate.length).put(certificate).put(session).putInt(length);
        out.write(b.array(), 0, b.capacity());
        return b.capacity();
    }

    /** Signs the payload at {@code at} and appends the signature; the exact bytes to send. */
    private byte[] signed(MessageWriter.Out out, int at, int length) {
        byte[] signature;
        try {
            Signature s = Signature.getInstance(SIGNATURE);
            s.initSign(identity.key());
            signed(s, self, session, sha256(out.array(), at, length));
            signature = s.sign();
        } catch (GeneralSecurityException e) {
            throw new FederationException("cannot sign a message with this site's key: " + e.getMessage(), e);
        }
        byte[] n = ByteBuffer.allocate(4).putInt(signature.length).array();
        out.write(n, 0, 4);
        out.write(signature, 0, signature.length);
        return out.size() == out.array().length ? out.array() : out.toByteArray();
    }

    /**
     * The message member {@code from} sent.
     *
     * @throws Refused when it is not a sealed message, its certificate is not the consortium's or
     *     not issued to {@code from}, or the signature does not match
     */
    Opened open(String from, byte[] sealed) throws Refused {
        byte[] der;
        byte[] sender = new byte[SESSION_BYTES];
        int payloadOffset;
        int payloadLength;
        byte[] signature;
        try {
            ByteBuffer b = ByteBuffer.wrap(sealed);
            der = chunk(b, MAX_CERTIFICATE);
            b.get(sender);
            payloadLength = b.getInt();
            if (payloadLength < 0 || payloadLength > b.remaining()) {
                throw new IllegalArgumentException("bad length " + payloadLength);
            }
            payloadOffset = b.position();
            b.position(payloadOffset + payloadLength);
            signature = chunk(b, MAX_SIGNATURE);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes left over");
            }
        } catch (RuntimeException e) {
            throw new Refused("a message from '" + from + "' is not a signed federation message", false);
        }
        X509Certificate cert = certificate(from, der);
        String name = ClusterTls.commonName(cert);
        if (!name.equals(from)) {
            throw new Refused("member '" + from + "' holds a certificate issued to '" + name + "': a site may only"
                    + " speak under the name in its certificate; its messages are ignored", false);
        }
        try {
            Signature s = Signature.getInstance(SIGNATURE);
            s.initVerify(cert.getPublicKey());
            signed(s, from, sender, sha256(sealed, payloadOffset, payloadLength));
            if (!s.verify(signature)) {
                throw new Refused("a message from '" + from + "' does not carry its signature; ignored", false);
            }
        } catch (GeneralSecurityException e) {
            throw new Refused("a message from '" + from + "' has an unusable signature (" + e.getMessage() + ")", false);
        }
        return new Opened(from, sender, sealed, payloadOffset, payloadLength);
    }

    private X509Certificate certificate(String from, byte[] der) throws Refused {
        X509Certificate cert = checked.get(ByteBuffer.wrap(der));
        if (cert != null) {
            return cert;
        }
        try {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            cert.verify(identity.ca().getPublicKey());
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new Refused("member '" + from + "' signs with a certificate not from this consortium's CA ("
                    + e.getMessage() + ")", true);
        }
        try {
            cert.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new Refused("member '" + from + "' signs with a certificate that expired on " + cert.getNotAfter()
                    + "; its site needs a new one (samtune certs site)", true);
        } catch (CertificateNotYetValidException e) {
            throw new Refused("member '" + from + "' signs with a certificate not valid before " + cert.getNotBefore()
                    + " (check that site's clock)", true);
        }
        if (identity.isRevoked(cert)) {
            throw new Refused("member '" + from + "' signs with a certificate the consortium's CA revoked", true);
        }
        checked.put(ByteBuffer.wrap(der), cert);
        return cert;
    }

    private void signed(Signature s, String name, byte[] sessionOfSender, byte[] payloadSha256)
            throws GeneralSecurityException {
        s.update(DOMAIN);
        s.update((byte) 0);
        s.update(name.getBytes(StandardCharsets.UTF_8));
        s.update((byte) 0);
        s.update(group.getBytes(StandardCharsets.UTF_8));
        s.update((byte) 0);
        s.update(sessionOfSender);
        s.update(payloadSha256);
    }

    private static byte[] sha256(byte[] bytes, int offset, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(bytes, offset, length);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] chunk(ByteBuffer b, int max) {
        int n = b.getInt();
        if (n < 0 || n > max || n > b.remaining()) {
            throw new IllegalArgumentException("bad length " + n);
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }
}
