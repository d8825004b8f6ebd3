package mailproxy.tlsproxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.List;
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

    /** A TLS socket over a new connection to 127.0.0.1:port, for {@code host}, not yet handshaken: to be set up first. */
    static SSLSocket socket(int port, SSLContext ctx, String host) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, plain.getPort(), true);
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

    /**
     * Connects in plaintext to a listener of {@code protocol} ("imap", "pop3" or "smtp"),
     * asks for TLS the protocol's way (IMAP STARTTLS, RFC 9051 §6.2.1; POP3 STLS, RFC 2595
     * §4; SMTP STARTTLS after EHLO, RFC 3207) and returns the client in TLS.
     */
    static RawClient startTls(String protocol, int port, SSLContext ctx) throws IOException {
        RawClient plain = RawClient.connect(port);
        switch (protocol) {
            case "imap" -> plain.transcript("""
                    S: * OK...
                    C: s STARTTLS
                    S: s OK...
                    """);
            case "pop3" -> plain.transcript("""
                    S: +OK...
                    C: STLS
                    S: +OK...
                    """);
            default -> {
                plain.expect("220");
                plain.line("EHLO client.example");
                plain.smtpReply();
                plain.line("STARTTLS");
                plain.expect("220");
            }
        }
        return upgrade(plain, ctx);
    }
}
