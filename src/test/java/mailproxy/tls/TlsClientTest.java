package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.KeyFormatCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

/** The backend side: verification, host names, SNI, and a STARTTLS upgrade on both ends. */
@Timeout(120)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class TlsClientTest {
    static final Duration HANDSHAKE = Duration.ofSeconds(10);
    static final KeyFormatCertificates pki = KeyFormatCertificates.shared();
    /** A backend with two certificates: RSA for imap.example.org, EC for *.other.test. */
    static TlsServer backend;

    @BeforeAll
    static void startBackend() throws Exception {
        backend = TlsServer.create(ServerTlsSettings.of(
                new CertificateSource.Pem(pki.rsa.cert(), pki.rsa.key()),
                new CertificateSource.Pem(pki.ec.cert(), pki.ec.key())));
    }

    /** Handshakes against {@link #backend}; returns the client socket's protocol. */
    static String handshake(BackendTlsSettings settings) throws Exception {
        TlsClient client = TlsClient.create(settings);
        try (Loopback lo = new Loopback()) {
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(backend, HANDSHAKE);
            try (SSLSocket c = client.handshake(lo.connect(), HANDSHAKE)) {
                Loopback.result(accepted).close();
                return c.getSession().getProtocol();
            } finally {
                accepted.handle((s, e) -> {
                    try {
                        if (s != null) {
                            s.close();
                        }
                    } catch (IOException ignored) {
                        // test cleanup
                    }
                    return null;
                });
            }
        }
    }

    @Test
    void verifiesChainAndHostName() throws Exception {
        assertEquals("TLSv1.3", handshake(new BackendTlsSettings(true, pki.rsa.cert(), null, "imap.example.org", null)));
        // SNI picks the EC certificate, which the wildcard covers.
        assertEquals("TLSv1.3", handshake(new BackendTlsSettings(true, pki.ec.cert(), null, "mx.other.test", null)));
        // No server name: the certificate must name the IP address (it has IP:127.0.0.1).
        assertEquals("TLSv1.3", handshake(new BackendTlsSettings(true, pki.rsa.cert(), null, null, null)));
    }

    @Test
    void wrongHostNameIsRefused() {
        TlsHandshakeException e = assertThrows(TlsHandshakeException.class, () ->
                handshake(new BackendTlsSettings(true, pki.rsa.cert(), null, "mail.elsewhere.org", null)));
        assertTrue(e.getMessage().startsWith("TLS handshake with 127.0.0.1:"), e.getMessage());
    }

    @Test
    void untrustedCertificateIsRefused() {
        TlsHandshakeException e = assertThrows(TlsHandshakeException.class, () ->
                handshake(new BackendTlsSettings(true, pki.ca.cert(), null, "imap.example.org", null)));
        assertTrue(e.getMessage().contains("certificate not trusted"), e.getMessage());
        // The system trust store knows nothing of a self-signed test certificate either.
        assertThrows(TlsHandshakeException.class, () -> handshake(BackendTlsSettings.verified("imap.example.org")));
    }

    @Test
    void verifyFalseMustBeSaidAndThenTrustsAnything() throws Exception {
        assertEquals("TLSv1.3", handshake(new BackendTlsSettings(false, null, null, "whatever.test", null)));
        String msg = assertThrows(TlsConfigException.class, () -> TlsClient.create(
                new BackendTlsSettings(false, pki.ca.cert(), null, null, null))).getMessage();
        assertTrue(msg.contains("verify is false"), msg);
    }

    @Test
    void protocolsCanBeNarrowed() throws Exception {
        assertEquals("TLSv1.2", handshake(new BackendTlsSettings(true, pki.rsa.cert(), null,
                "imap.example.org", java.util.List.of("TLSv1.2"))));
    }

    /**
     * C: a STARTTLS / S: a OK Begin TLS, then both sides upgrade the same plain sockets.
     * The server's plaintext reader is dropped with whatever it buffered (RFC 3207 §4.2).
     */
    @Test
    void startTlsUpgradeOnBothEnds() throws Exception {
        TlsClient client = TlsClient.create(new BackendTlsSettings(true, pki.rsa.cert(), null, "imap.example.org", null));
        try (Loopback lo = new Loopback(); Socket plainClient = lo.connect()) {
            CompletableFuture<String> server = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (Socket plain = lo.listener.accept()) {
                    plain.setSoTimeout(10_000);
                    BufferedReader r = new BufferedReader(new InputStreamReader(plain.getInputStream(),
                            StandardCharsets.US_ASCII));
                    String cmd = r.readLine();
                    plain.getOutputStream().write("a OK Begin TLS now\r\n".getBytes(StandardCharsets.US_ASCII));
                    plain.getOutputStream().flush();
                    r = null; // deliberately dropped, with anything it read ahead
                    try (SSLSocket tls = backend.handshake(plain, HANDSHAKE)) {
                        BufferedReader tr = new BufferedReader(new InputStreamReader(tls.getInputStream(),
                                StandardCharsets.US_ASCII));
                        server.complete(cmd + " | " + tr.readLine() + " | " + backend.facts(tls).protocol());
                    }
                } catch (Throwable e) {
                    server.completeExceptionally(e);
                }
            });
            OutputStream out = plainClient.getOutputStream();
            out.write("a STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("a OK Begin TLS now", TlsServerTest.readLine(plainClient.getInputStream()));
            try (SSLSocket tls = client.handshake(plainClient, HANDSHAKE)) {
                tls.getOutputStream().write("b CAPABILITY\r\n".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                assertEquals("a STARTTLS | b CAPABILITY | TLSv1.3", Loopback.result(server));
            }
        }
    }

    @Test
    void badServerNameIsAConfigError() {
        assertThrows(TlsConfigException.class, () -> TlsClient.create(BackendTlsSettings.verified("bad name!")));
    }
}
