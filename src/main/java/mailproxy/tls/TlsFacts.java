package mailproxy.tls;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * What the router, the auth_http headers and the log line need to know about a client's
 * TLS session, taken once after the handshake ({@link TlsServer#facts}).
 *
 * @param protocol negotiated version, e.g. {@code TLSv1.3}
 * @param cipher negotiated suite, e.g. {@code TLS_AES_128_GCM_SHA256}
 * @param verify as nginx's {@code $ssl_client_verify}: {@link #SUCCESS}, {@code FAILED:reason}
 *     or {@link #NONE} (no certificate presented, or none requested)
 * @param clientCertificate the presented client certificate, whether it verified or not
 */
public record TlsFacts(String protocol, String cipher, String verify,
        Optional<ClientCertificate> clientCertificate) {

    public static final String SUCCESS = "SUCCESS";
    public static final String NONE = "NONE";

    public TlsFacts {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(cipher, "cipher");
        Objects.requireNonNull(verify, "verify");
        Objects.requireNonNull(clientCertificate, "clientCertificate");
    }

    /**
     * A client certificate, with the fields as nginx formats them.
     *
     * @param subject subject DN, RFC 2253 ({@code $ssl_client_s_dn}), e.g. {@code CN=alice,O=Example}
     * @param issuer issuer DN, RFC 2253 ({@code $ssl_client_i_dn})
     * @param serial serial number, upper-case hex, two digits a byte ({@code $ssl_client_serial})
     * @param fingerprint SHA-1 of the DER certificate, lower-case hex ({@code $ssl_client_fingerprint})
     * @param certificate the certificate itself
     * @param chain what the client sent, its certificate first
     */
    public record ClientCertificate(String subject, String issuer, String serial,
            String fingerprint, X509Certificate certificate, List<X509Certificate> chain) {

        /** The text fields only: the JDK's certificate text runs to a hundred lines. */
        @Override
        public String toString() {
            return "ClientCertificate[subject=" + subject + ", issuer=" + issuer + ", serial="
                    + serial + ", fingerprint=" + fingerprint + ", chain length=" + chain.size() + "]";
        }

        /** The certificate in PEM ({@code $ssl_client_raw_cert}; nginx's auth_http sends it). */
        public String pem() {
            try {
                String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'})
                        .encodeToString(certificate.getEncoded());
                return "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n";
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("certificate cannot be encoded again", e);
            }
        }
    }

    /** True when a client certificate was presented and verified. */
    public boolean verified() {
        return verify.equals(SUCCESS);
    }

    /**
     * The user a verified client certificate names, for SASL EXTERNAL (RFC 4422 appendix A)
     * and for routing: the subject's CN (what Dovecot's {@code ssl_cert_username_field}
     * uses by default); if there is no CN, the first SAN email address; if none, the first
     * SAN DNS name. Empty unless {@link #verified()}: an unverified certificate proves
     * nothing about who is on the other end.
     */
    public Optional<String> identity() {
        if (!verified() || clientCertificate.isEmpty()) {
            return Optional.empty();
        }
        X509Certificate cert = clientCertificate.get().certificate();
        Optional<String> cn = CertNames.commonName(cert.getSubjectX500Principal());
        if (cn.isPresent() && !cn.get().isBlank()) {
            return cn;
        }
        for (int kind : new int[] {CertNames.SAN_EMAIL, CertNames.SAN_DNS}) {
            List<String> names = CertNames.san(cert, kind);
            if (!names.isEmpty()) {
                return Optional.of(names.get(0));
            }
        }
        return Optional.empty();
    }

    /** Reads a finished session; {@code clientTrust} null when no client certs are asked for. */
    static TlsFacts of(SSLSession session, X509ExtendedTrustManager clientTrust) {
        // Without a client CA the server sends no CertificateRequest, so the client sends no
        // certificate (RFC 8446 §4.3.2, RFC 5246 §7.4.6): asking the session would only throw
        // SSLPeerUnverifiedException, a stack trace filled on every connection.
        if (clientTrust == null) {
            return new TlsFacts(session.getProtocol(), session.getCipherSuite(), NONE, Optional.empty());
        }
        Certificate[] peer;
        try {
            peer = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return new TlsFacts(session.getProtocol(), session.getCipherSuite(), NONE, Optional.empty());
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : peer) {
            if (c instanceof X509Certificate x) {
                chain.add(x);
            }
        }
        if (chain.isEmpty()) {
            return new TlsFacts(session.getProtocol(), session.getCipherSuite(), NONE, Optional.empty());
        }
        // Checked again here rather than remembered from the handshake: a resumed session
        // skips the trust manager, and this gives every session the same, current answer.
        String verify = Trust.verifyClient(clientTrust, chain.toArray(X509Certificate[]::new));
        X509Certificate leaf = chain.get(0);
        ClientCertificate cc = new ClientCertificate(
                leaf.getSubjectX500Principal().getName(X500Principal.RFC2253),
                leaf.getIssuerX500Principal().getName(X500Principal.RFC2253),
                serialHex(leaf.getSerialNumber()),
                sha1Hex(leaf),
                leaf, List.copyOf(chain));
        return new TlsFacts(session.getProtocol(), session.getCipherSuite(), verify, Optional.of(cc));
    }

    /** OpenSSL's i2a_ASN1_INTEGER: the magnitude bytes, %02X each. */
    static String serialHex(BigInteger serial) {
        byte[] b = serial.abs().toByteArray();
        int from = b.length > 1 && b[0] == 0 ? 1 : 0;
        String hex = HexFormat.of().withUpperCase().formatHex(b, from, b.length);
        return serial.signum() < 0 ? "-" + hex : hex;
    }

    static String sha1Hex(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(cert.getEncoded());
            return HexFormat.of().formatHex(d); // lower case, as nginx prints it
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("SHA-1 of a parsed certificate failed", e);
        }
    }
}
