package mailproxy.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** Trust managers: from a CA file, the system store, trust-all, and lenient client checks. */
final class Trust {
    private Trust() {
    }

    /** PKIX trust in exactly the CA certificates of a PEM file. */
    static X509ExtendedTrustManager fromPem(Path caFile) throws TlsConfigException {
        List<X509Certificate> cas = PemFile.certificates(caFile, "CA");
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                ks.setCertificateEntry("ca-" + i, cas.get(i));
            }
            return pkix(ks);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw TlsConfigException.of(caFile, "cannot use CA certificates: " + e.getMessage(), e);
        }
    }

    /** The JDK's trust store (cacerts, or javax.net.ssl.trustStore when set). */
    static X509ExtendedTrustManager system() throws TlsConfigException {
        try {
            return pkix(null);
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot load the system trust store: " + e.getMessage(), e);
        }
    }

    private static X509ExtendedTrustManager pkix(KeyStore ks) throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager");
    }

    /**
     * {@code verify = false} towards a backend: any certificate is accepted. Only for
     * backends on a trusted network; the settings make the operator say it explicitly.
     */
    static X509ExtendedTrustManager trustAll() {
        return new X509ExtendedTrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
            @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
            @Override public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
    }

    /**
     * Client auth {@code optional}: a client certificate that fails verification does not
     * abort the handshake. Like nginx's {@code ssl_verify_client optional}, the session goes
     * on and the result is reported ({@link TlsFacts#verify()} = {@code FAILED:reason}); the
     * caller decides. {@link TlsFacts#identity()} stays empty for such a certificate.
     */
    static X509ExtendedTrustManager lenientClients(X509ExtendedTrustManager strict) {
        return new X509ExtendedTrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {
                try {
                    strict.checkClientTrusted(c, a, s);
                } catch (CertificateException e) {
                    // Reported through TlsFacts.verify(), which checks the chain again.
                }
            }

            @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {
                try {
                    strict.checkClientTrusted(c, a, e);
                } catch (CertificateException ex) {
                    // As above.
                }
            }

            @Override public void checkClientTrusted(X509Certificate[] c, String a) {
                try {
                    strict.checkClientTrusted(c, a);
                } catch (CertificateException e) {
                    // As above.
                }
            }

            @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s)
                    throws CertificateException {
                strict.checkServerTrusted(c, a, s);
            }

            @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e)
                    throws CertificateException {
                strict.checkServerTrusted(c, a, e);
            }

            @Override public void checkServerTrusted(X509Certificate[] c, String a)
                    throws CertificateException {
                strict.checkServerTrusted(c, a);
            }

            @Override public X509Certificate[] getAcceptedIssuers() {
                return strict.getAcceptedIssuers();
            }
        };
    }

    /** nginx {@code $ssl_client_verify} style: {@code SUCCESS} or {@code FAILED:reason}. */
    static String verifyClient(X509ExtendedTrustManager trust, X509Certificate[] chain) {
        try {
            trust.checkClientTrusted(chain, chain[0].getPublicKey().getAlgorithm());
            return TlsFacts.SUCCESS;
        } catch (CertificateException | RuntimeException e) {
            return "FAILED:" + reason(e);
        }
    }

    /** Short words for why a chain failed, close to OpenSSL's verify strings. */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return "certificate has expired";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "certificate is not yet valid";
            }
            if (t instanceof CertPathValidatorException v) {
                if (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                    return "certificate has expired";
                }
                if (v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                    return "certificate is not yet valid";
                }
                if (v.getReason() == CertPathValidatorException.BasicReason.REVOKED) {
                    return "certificate revoked";
                }
            }
            if (t instanceof CertPathBuilderException) {
                return "unable to get local issuer certificate";
            }
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // It may end up in a log line or an auth_http header: one line, bounded.
        msg = msg.replaceAll("[\\x00-\\x1F\\x7F]+", " ");
        return msg.length() > 120 ? msg.substring(0, 120) : msg;
    }
}
