package mailproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.Await;
import mailproxy.testing.KeyFormatCertificates;
import mailproxy.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

/** The listener side over real loopback sockets: SNI, versions, client certificates, junk. */
@Timeout(120)
@EnabledIf("mailproxy.testing.TestPki#opensslAvailable")
class TlsServerTest {
    static final Duration HANDSHAKE = Duration.ofSeconds(10);

    static final KeyFormatCertificates pki = KeyFormatCertificates.shared();
    static final CertificateSource rsa = new CertificateSource.Pem(pki.rsa.cert(), pki.rsa.key());
    static final CertificateSource ec = new CertificateSource.Pem(pki.ec.cert(), pki.ec.key());

    /** A client that trusts anything, sends SNI {@code sni} (null: none) and maybe a certificate. */
    static TlsClient client(String sni, CertificateSource cert) throws TlsConfigException {
        return TlsClient.create(new BackendTlsSettings(false, null, cert, sni, null));
    }

    /** Handshakes both ends; returns the certificate the server presented and its facts. */
    static TlsFacts connect(TlsServer server, TlsClient client, X509Certificate[] presented) throws Exception {
        try (Loopback lo = new Loopback()) {
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(server, HANDSHAKE);
            try (SSLSocket c = client.handshake(lo.connect(), HANDSHAKE);
                    SSLSocket s = Loopback.result(accepted)) {
                if (presented != null) {
                    presented[0] = (X509Certificate) c.getSession().getPeerCertificates()[0];
                }
                // Application data both ways, so both sides are past the handshake.
                s.getOutputStream().write("* OK\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertEquals("* OK", readLine(c.getInputStream()));
                return server.facts(s);
            }
        }
    }

    static String readLine(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 1000; i++) {
            int c = in.read();
            if (c < 0 || c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** The provider under test; {@link OpenSslTlsServerTest} runs every test with BoringSSL. */
    TlsProvider provider() {
        return TlsProvider.JDK;
    }

    TlsServer create(ServerTlsSettings settings) throws TlsConfigException {
        return TlsServer.create(settings.withProvider(provider()));
    }

    static String presentedCn(TlsServer server, String sni) throws Exception {
        X509Certificate[] cert = new X509Certificate[1];
        connect(server, client(sni, null), cert);
        return cert[0].getSubjectX500Principal().getName();
    }

    @Test
    void sniPicksTheCertificateAndTheFirstIsTheDefault() throws Exception {
        TlsServer server = create(ServerTlsSettings.of(rsa, ec));
        assertEquals("CN=imap.example.org", presentedCn(server, "imap.example.org"));
        assertEquals("CN=mail.other.test", presentedCn(server, "pop.other.test"));
        assertEquals("CN=mail.other.test", presentedCn(server, "SMTP.Other.Test"));
        assertEquals("CN=imap.example.org", presentedCn(server, null), "no SNI");
        assertEquals("CN=imap.example.org", presentedCn(server, "unknown.test"), "no match");
        assertEquals("CN=imap.example.org", presentedCn(server, "a.b.other.test"), "wildcard is one label");
        assertEquals("CN=imap.example.org", presentedCn(server, "other.test"), "wildcard needs a label");
    }

    @Test
    void pkcs1Pkcs12AndEd25519ServeHandshakes() throws Exception {
        TlsServer server = create(ServerTlsSettings.of(
                new CertificateSource.Pem(pki.pkcs1.cert(), pki.pkcs1.key()),
                new CertificateSource.Pkcs12(pki.p12, TestPki.PASSWORD),
                new CertificateSource.Pem(pki.ed.cert(), pki.ed.key())));
        assertEquals("CN=pkcs1.example.net", presentedCn(server, "pkcs1.example.net"));
        assertEquals("CN=p12.example.org", presentedCn(server, "p12.example.org"));
        assertEquals("CN=ed.example.org", presentedCn(server, "ed.example.org"));
    }

    @Test
    void factsWithoutClientCertificate() throws Exception {
        TlsFacts f = connect(create(ServerTlsSettings.of(rsa)), client(null, null), null);
        assertEquals("TLSv1.3", f.protocol());
        assertTrue(f.cipher().startsWith("TLS_"), f.cipher());
        assertEquals(TlsFacts.NONE, f.verify());
        assertTrue(f.clientCertificate().isEmpty());
        assertTrue(f.identity().isEmpty());
    }

    @Test
    void tls12StillWorks() throws Exception {
        TlsClient tls12 = TlsClient.create(new BackendTlsSettings(false, null, null, null, List.of("TLSv1.2")));
        assertEquals("TLSv1.2", connect(create(ServerTlsSettings.of(rsa)), tls12, null).protocol());
    }

    /**
     * A hand-made TLS 1.1 ClientHello (RFC 4346 §7.4.1.2, no supported_versions extension):
     * the JDK client cannot even offer 1.1 any more, so the bytes are written by hand.
     */
    @Test
    void tls11ClientIsRefused() throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(new byte[] {3, 2});                       // client_version TLS 1.1
        body.write(new byte[32]);                            // random
        body.write(0);                                       // session_id: empty
        body.write(new byte[] {0, 4, (byte) 0xC0, 0x13, 0x00, 0x2F}); // two CBC suites
        body.write(new byte[] {1, 0});                       // compression: null
        byte[] b = body.toByteArray();
        ByteArrayOutputStream rec = new ByteArrayOutputStream();
        rec.write(new byte[] {0x16, 3, 1, 0, (byte) (b.length + 4)});
        rec.write(new byte[] {1, 0, 0, (byte) b.length});    // ClientHello
        rec.write(b);

        TlsServer server = create(ServerTlsSettings.of(rsa));
        try (Loopback lo = new Loopback(); Socket c = lo.connect()) {
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(server, HANDSHAKE);
            c.getOutputStream().write(rec.toByteArray());
            Throwable e = Loopback.failure(accepted);
            assertInstanceOf(TlsHandshakeException.class, e);
            assertTrue(e.getMessage().contains("no common TLS protocol version"), e.getMessage());
            byte[] answer;
            try {
                answer = c.getInputStream().readNBytes(7);
            } catch (java.io.IOException reset) {
                answer = new byte[0];                        // closed hard: also a refusal
            }
            if (answer.length == 7) {                        // else: closed without an alert
                assertEquals(0x15, answer[0], "an alert record");
                assertEquals(70, answer[6], "protocol_version alert (RFC 8446 §6.2)");
            }
        }
    }

    @Test
    void oldProtocolsAndUnknownCiphersAreConfigErrors() {
        String old = assertThrows(TlsConfigException.class, () -> create(new ServerTlsSettings(
                List.of(rsa), List.of("TLSv1.2", "TLSv1.1"), null, null, null))).getMessage();
        assertTrue(old.contains("TLSv1.1 is not allowed") && old.contains("RFC 8996"), old);
        String cipher = assertThrows(TlsConfigException.class, () -> create(new ServerTlsSettings(
                List.of(rsa), null, List.of("ECDHE-RSA-AES128-GCM-SHA256"), null, null))).getMessage();
        assertTrue(cipher.contains("unknown cipher suite ECDHE-RSA-AES128-GCM-SHA256"), cipher);
        String noCa = assertThrows(TlsConfigException.class, () -> create(
                ServerTlsSettings.of(rsa).withClientAuth(ServerTlsSettings.ClientAuth.REQUIRED, null))).getMessage();
        assertTrue(noCa.contains("needs a CA file"), noCa);
    }

    /** A server that asks clients for a certificate as {@code auth} says, trusting the test CA. */
    private TlsServer askingForCertificates(ServerTlsSettings.ClientAuth auth) throws TlsConfigException {
        return create(ServerTlsSettings.of(rsa).withClientAuth(auth, pki.ca.cert()));
    }

    /** A handshake with {@code server} in which the client presents {@code certificate}. */
    private static TlsFacts presenting(TlsServer server, TestPki.Pair certificate) throws Exception {
        return connect(server, client(null, new CertificateSource.Pem(certificate.cert(), certificate.key())), null);
    }

    @Test
    void requiredClientCertificateMissingFailsTheHandshake() throws Exception {
        TlsServer server = askingForCertificates(ServerTlsSettings.ClientAuth.REQUIRED);
        try (Loopback lo = new Loopback()) {
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(server, HANDSHAKE);
            Socket plain = lo.connect();
            try {
                // TLS 1.3: the client finishes first and learns of the refusal on its next read.
                SSLSocket c = client(null, null).handshake(plain, HANDSHAKE);
                Throwable e = Loopback.failure(accepted);
                assertTrue(e.getMessage().contains("client certificate required but none presented"),
                        e.getMessage());
                assertThrows(java.io.IOException.class, () -> c.getInputStream().read());
            } catch (TlsHandshakeException clientSaw) {
                assertInstanceOf(TlsHandshakeException.class, Loopback.failure(accepted));
            } finally {
                plain.close();
            }
        }
    }

    @Test
    void requiredClientCertificatePresentAndVerified() throws Exception {
        TlsServer server = askingForCertificates(ServerTlsSettings.ClientAuth.REQUIRED);
        TlsFacts f = presenting(server, pki.client);
        assertEquals(TlsFacts.SUCCESS, f.verify());
        assertEquals(List.of("alice"), f.identity().stream().toList());
    }

    @Test
    void optionalWithCertificateFillsTheFacts() throws Exception {
        TlsServer server = askingForCertificates(ServerTlsSettings.ClientAuth.OPTIONAL);
        TlsFacts f = presenting(server, pki.client);
        assertEquals(TlsFacts.SUCCESS, f.verify());
        TlsFacts.ClientCertificate cc = f.clientCertificate().orElseThrow();
        assertEquals("CN=alice,O=Example", cc.subject());
        assertEquals("CN=Test CA", cc.issuer());
        assertEquals("1234ABCD", cc.serial());
        String openssl = pki.openssl("x509", "-in", pki.client.cert(), "-noout", "-fingerprint", "-sha1");
        String expected = openssl.substring(openssl.indexOf('=') + 1).strip().replace(":", "").toLowerCase(Locale.ROOT);
        assertEquals(expected, cc.fingerprint());
        assertTrue(cc.pem().startsWith("-----BEGIN CERTIFICATE-----\n"));
        assertEquals("alice", f.identity().orElseThrow());
        assertTrue(f.toString().length() < 400, "fit for a log line: " + f);

        TlsFacts noCn = presenting(server, pki.noCn);
        assertEquals("bob@example.org", noCn.identity().orElseThrow(), "SAN email when there is no CN");
        assertEquals("02", noCn.clientCertificate().orElseThrow().serial());

        TlsFacts none = connect(server, client(null, null), null);
        assertEquals(TlsFacts.NONE, none.verify());
    }

    @Test
    void optionalWithUntrustedCertificateIsReportedNotTrusted() throws Exception {
        TlsServer server = askingForCertificates(ServerTlsSettings.ClientAuth.OPTIONAL);
        TlsFacts f = presenting(server, pki.rogue);
        assertTrue(f.verify().startsWith("FAILED:"), f.verify());
        assertFalse(f.verified());
        assertEquals("CN=mallory", f.clientCertificate().orElseThrow().subject());
        assertTrue(f.identity().isEmpty(), "an unverified certificate names nobody");
    }

    @Test
    void plaintextClientOnTlsPortFailsAtOnce() throws Exception {
        TlsServer server = create(ServerTlsSettings.of(rsa));
        try (Loopback lo = new Loopback(); Socket c = lo.connect()) {
            // A long timeout: the failure message shows it did not wait for it.
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(server, Duration.ofSeconds(60));
            OutputStream out = c.getOutputStream();
            out.write("a001 CAPABILITY\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Throwable e = Loopback.failure(accepted);
            assertInstanceOf(TlsHandshakeException.class, e);
            assertTrue(e.getMessage().matches("TLS handshake with 127\\.0\\.0\\.1:\\d+ failed: not TLS .*"),
                    e.getMessage());
            Loopback.untilClosed(c); // the server closed its end: EOF, not a hang
        }
    }

    @Test
    void silentClientTimesOut() throws Exception {
        TlsServer server = create(ServerTlsSettings.of(rsa));
        try (Loopback lo = new Loopback(); Socket c = lo.connect()) {
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(server, Duration.ofMillis(300));
            Throwable e = Loopback.failure(accepted);
            assertTrue(e.getMessage().contains("300ms"), e.getMessage());
            assertEquals(0, Loopback.untilClosed(c).length, "the server hung up without a word");
        }
    }

    /** One byte at a time, each well inside the read timeout: the deadline still ends it. */
    @Test
    void tricklingClientHitsTheDeadline() throws Exception {
        TlsServer server = create(ServerTlsSettings.of(rsa));
        try (Loopback lo = new Loopback(); Socket c = lo.connect()) {
            CompletableFuture<SSLSocket> accepted = lo.acceptTls(server, Duration.ofMillis(1500));
            // Announces a 512-byte record, then feeds it far slower than the deadline allows.
            byte[] hello = {0x16, 3, 1, 0x02, 0x00, 1, 0, 1, (byte) 0xFC, 3, 3};
            for (int i = 0; i < 200 && !accepted.isDone(); i++) {
                try {
                    c.getOutputStream().write(hello[i % hello.length]);
                } catch (java.io.IOException closed) {
                    break;
                }
                Await.pause(Duration.ofMillis(50));
            }
            Throwable e = Loopback.failure(accepted);
            assertTrue(e.getMessage().contains("not finished within 1500ms"), e.getMessage());
        }
    }
}
