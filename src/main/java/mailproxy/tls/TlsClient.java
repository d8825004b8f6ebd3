package mailproxy.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The proxy's TLS client side towards one backend (or pool with the same TLS settings),
 * built once from {@link BackendTlsSettings}; immutable and safe to share.
 *
 * <p>Implicit TLS: connect, then {@link #handshake}. STARTTLS/STLS to the backend: send the
 * command, read the go-ahead with a reader that does not read past it (the backend sends
 * nothing more in plaintext), then {@link #handshake} on the same plain socket.
 */
public final class TlsClient {
    private final SSLContext context;
    private final String[] protocols;
    private final boolean verify;
    private final String serverName;

    private TlsClient(SSLContext context, String[] protocols, boolean verify, String serverName) {
        this.context = context;
        this.protocols = protocols;
        this.verify = verify;
        this.serverName = serverName;
    }

    /** Reads and checks the CA file and client certificate; problems stop startup. */
    public static TlsClient create(BackendTlsSettings settings) throws TlsConfigException {
        String[] protocols = Sockets.protocols(settings.protocols());
        if (settings.serverName() != null && !isIpLiteral(settings.serverName())) {
            try {
                new SNIHostName(settings.serverName());
            } catch (IllegalArgumentException e) {
                throw new TlsConfigException("backend server name '" + settings.serverName()
                        + "' is not a valid host name: " + e.getMessage(), e);
            }
        }
        X509ExtendedTrustManager trust;
        if (!settings.verify()) {
            if (settings.caFile() != null) {
                throw TlsConfigException.of(settings.caFile(), "a backend CA file is set but"
                        + " verify is false: enable verify or remove the CA file");
            }
            trust = Trust.trustAll();
        } else {
            trust = settings.caFile() == null ? Trust.system() : Trust.fromPem(settings.caFile());
        }
        KeyManager[] keys = null;
        if (settings.clientCertificate() != null) {
            keys = new KeyManager[] {new SniKeyManager(List.of(KeyMaterial.load(settings.clientCertificate())))};
        }
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, new TrustManager[] {trust}, null);
            return new TlsClient(ctx, protocols, settings.verify(), settings.serverName());
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot set up backend TLS: " + e.getMessage(), e);
        }
    }

    /**
     * Layers TLS in client mode over a connected plain socket and completes the handshake:
     * SNI with the configured server name (when it is a host name), and, when verifying,
     * the certificate checked against that name or else the backend's IP address.
     *
     * @throws TlsHandshakeException with a one-line message; both sockets are closed by then
     */
    public SSLSocket handshake(Socket plain, Duration timeout) throws TlsHandshakeException {
        Objects.requireNonNull(timeout, "timeout");
        String host = serverName != null ? serverName
                : plain.getInetAddress() == null ? null : plain.getInetAddress().getHostAddress();
        SSLSocket ssl = Sockets.layer(context, plain, host);
        ssl.setUseClientMode(true);
        SSLParameters p = ssl.getSSLParameters();
        p.setProtocols(protocols);
        if (serverName != null && !isIpLiteral(serverName)) {
            p.setServerNames(List.of(new SNIHostName(serverName)));
        } else {
            p.setServerNames(List.of()); // RFC 6066 §3: no IP addresses in SNI
        }
        if (verify) {
            // RFC 6125 host name rules, as for HTTPS (RFC 2818 §3.1).
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        ssl.setSSLParameters(p);
        Sockets.handshake(ssl, plain, timeout);
        return ssl;
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("[0-9.]+");
    }

    @Override
    public String toString() {
        return "TlsClient[verify=" + verify + ", serverName=" + serverName + "]";
    }
}
