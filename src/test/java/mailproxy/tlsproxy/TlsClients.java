package mailproxy.tlsproxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.RawClient;

/** TLS clients of the proxy for C:/S: transcripts: implicit TLS, and STARTTLS over a RawClient. */
final class TlsClients {
    private TlsClients() {}

    /** Implicit TLS to 127.0.0.1:port, host name checked against localhost; no SNI. */
    static RawClient implicit(int port, SSLContext ctx) throws IOException {
        return implicit(port, ctx, null);
    }

    /** Implicit TLS with SNI {@code sni} (null: none); the certificate must name sni or localhost. */
    static RawClient implicit(int port, SSLContext ctx, String sni) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return upgrade(plain, ctx, sni);
    }

    /** TLS over the connection a RawClient speaks on, after the server's go-ahead. */
    static RawClient upgrade(RawClient plain, SSLContext ctx) throws IOException {
        return upgrade(plain.socket(), ctx, null);
    }

    static RawClient upgrade(Socket plain, SSLContext ctx, String sni) throws IOException {
        plain.setSoTimeout(5000);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, sni != null ? sni : "localhost",
                plain.getPort(), true);
        s.setUseClientMode(true);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        p.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 6125 checks, as a mail client would
        s.setSSLParameters(p);
        s.startHandshake();
        return new RawClient(s);
    }

    static SSLSocket ssl(RawClient c) {
        return (SSLSocket) c.socket();
    }

    static X509Certificate peer(RawClient c) throws IOException {
        return (X509Certificate) ssl(c).getSession().getPeerCertificates()[0];
    }

    /** Polls {@code condition} every 20 ms for up to {@code max}; its last answer. */
    static boolean eventually(Duration max, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            if (condition.getAsBoolean()) return true;
            if (System.nanoTime() > deadline) return false;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
