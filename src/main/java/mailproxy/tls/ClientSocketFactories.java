package mailproxy.tls;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS for the proxy as a client of a service that is not a mail backend (Redis, whose
 * client library wants a socket factory): trust the system's CAs, or exactly those of a
 * PEM file, read the same way as every other CA file of the proxy.
 */
public final class ClientSocketFactories {
    private ClientSocketFactories() {}

    /**
     * A socket factory trusting the CAs of {@code caFile} (PEM), or the JDK's trust store
     * when it is null. Problems with the file stop startup: the message names the file.
     */
    public static SSLSocketFactory trusting(Path caFile) throws TlsConfigException {
        X509ExtendedTrustManager trust = caFile == null ? Trust.system() : Trust.fromPem(caFile);
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {trust}, null);
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /**
     * Parameters that make the handshake check the server's certificate against the host
     * name or IP address connected to (RFC 6125), as HTTPS does; the JDK does not by default.
     */
    public static SSLParameters verifyingHostName() {
        SSLParameters p = new SSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        return p;
    }
}
