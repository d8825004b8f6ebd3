package mailproxy.tlsproxy;

import static mailproxy.tlsproxy.TlsClients.eventually;
import static mailproxy.tlsproxy.TlsClients.implicit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.io.OutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Implicit TLS listeners (imaps 993, pop3s 995, smtps 465; RFC 8314 §3.3): certificates in
 * the forms admins have (PEM chain with PKCS#8, PKCS#1 and SEC1 keys, PKCS#12), chosen by
 * SNI; protocols and ciphers as configured; the relay on TLS sockets both ways, half-close
 * included; and clients speaking the wrong thing (plaintext on a TLS port, TLS on a plain
 * one) ending cleanly without leaving a session behind.
 */
@Timeout(30)
class ImplicitTlsTest {
    @TempDir
    static Path dir;
    static TestCertificates certs;
    static FakeBackends.Recorder recorder = new FakeBackends.Recorder();
    static ScriptedServer imapBackend;
    static ScriptedServer pop3Backend;
    static ScriptedServer smtpBackend;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create(dir);
        imapBackend = FakeBackends.imap(recorder);
        pop3Backend = FakeBackends.pop3(recorder);
        smtpBackend = FakeBackends.smtp(recorder);
        String sni = certs.listenerTlsWithSni();
        proxy = TestProxy.start("""
                mailproxy {
                  limits { timeout = 2s, half-close-timeout = 5s }
                  relay { buffer-size = 65536 }
                  backends { store { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d },
                                     smtp { port = %d, auth = plain } } }
                  routers { r { type = static, default = store } }
                  default-router = r
                  listeners = [
                    { name = imaps, protocol = imap, listen = "127.0.0.1:0", tls = implicit, %s }
                    { name = pop3s, protocol = pop3, listen = "127.0.0.1:0", tls = implicit, %s }
                    { name = smtps, protocol = smtp, listen = "127.0.0.1:0", tls = implicit, %s }
                    { name = smtps-delay, protocol = smtp, listen = "127.0.0.1:0", tls = implicit, %s,
                      smtp-greeting-delay = 500ms }
                    { name = imap,  protocol = imap, listen = "127.0.0.1:0" }
                    { name = pop3,  protocol = pop3, listen = "127.0.0.1:0" }
                    { name = smtp,  protocol = smtp, listen = "127.0.0.1:0" }
                    { name = p12, protocol = imap, listen = "127.0.0.1:0", tls = implicit,
                      tls-certificates = [ { pkcs12 = "%s", password = "%s" } ] }
                    { name = pkcs1, protocol = imap, listen = "127.0.0.1:0", tls = implicit,
                      tls-certificates = [ { certificate = "%s", key = "%s" } ] }
                    { name = sec1, protocol = imap, listen = "127.0.0.1:0", tls = implicit,
                      tls-certificates = [ { certificate = "%s", key = "%s" } ] }
                    { name = tls12, protocol = imap, listen = "127.0.0.1:0", tls = implicit, %s,
                      tls-protocols = [ "TLSv1.2" ], tls-ciphers = [ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" ] }
                  ]
                }
                """.formatted(imapBackend.port(), pop3Backend.port(), smtpBackend.port(), sni, sni, sni, sni,
                certs.serverP12, TestCertificates.PASSWORD, certs.otherCert, certs.otherKey,
                certs.ecCert, certs.ecKey, certs.listenerTls()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        for (ScriptedServer s : new ScriptedServer[] {imapBackend, pop3Backend, smtpBackend}) if (s != null) s.close();
    }

    private static boolean noSessionsLeft() {
        return eventually(Duration.ofSeconds(5), () -> proxy.activeSessions() == 0);
    }

    // ------------------------------------------------------------ logins on the three protocols

    @Test
    void imapsGreetsInTlsAndRelays() throws Exception {
        try (RawClient c = implicit(proxy.port("imaps"), certs.clientContext())) {
            String greeting = c.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains("AUTH=PLAIN") && !greeting.contains("STARTTLS"), greeting);
            c.line("a LOGIN bob imaps-pw");
            c.expect("a OK");
            assertEquals("bob imaps-pw", recorder.nextLogin());
            c.line("b NOOP");
            c.expect("b OK NOOP completed");
            c.line("c LOGOUT");
            c.expect("* BYE");
            c.expect("c OK");
            assertTrue(c.closedByPeer());
        }
        assertTrue(noSessionsLeft());
    }

    @Test
    void pop3sGreetsInTlsAndRelays() throws Exception {
        try (RawClient c = implicit(proxy.port("pop3s"), certs.clientContext())) {
            c.expect("+OK");
            c.line("CAPA");
            c.expect("+OK");
            for (String l = c.readLine(); !l.equals("."); l = c.readLine()) assertTrue(!l.equals("STLS"), l);
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS pop3s-pw");
            c.expect("+OK fake logged in");
            assertEquals("bob pop3s-pw", recorder.nextLogin());
            c.line("QUIT");
            c.expect("+OK fake signing off");
            assertTrue(c.closedByPeer());
        }
        assertTrue(noSessionsLeft());
    }

    @Test
    void smtpsGreetsInTlsAndRelays() throws Exception {
        try (RawClient c = implicit(proxy.port("smtps"), certs.clientContext())) {
            c.expect("220 ");
            c.line("EHLO client.example");
            for (String l = c.readLine(); ; l = c.readLine()) {
                assertTrue(!l.contains("STARTTLS"), l);
                if (l.startsWith("250 ")) break;
            }
            c.line("AUTH PLAIN " + Base64.getEncoder().encodeToString("\0bob\0smtps-pw".getBytes(StandardCharsets.UTF_8)));
            c.expect("235");
            assertEquals("bob smtps-pw", recorder.nextLogin());
            c.line("QUIT");
            c.expect("221");
        }
        assertTrue(noSessionsLeft());
    }

    /** The greeting delay (pregreet test) counts from the end of the handshake and speaks TLS. */
    @Test
    void smtpsGreetingDelayWorksInsideTls() throws Exception {
        try (RawClient c = implicit(proxy.port("smtps-delay"), certs.clientContext())) {
            c.expect("220 ");
            c.line("EHLO patient.example");
            c.expect("250-");
        }
        try (RawClient c = implicit(proxy.port("smtps-delay"), certs.clientContext())) {
            c.line("EHLO hasty.example");
            c.expect("503 5.5.0");
            assertTrue(c.closedByPeer());
        }
        assertTrue(noSessionsLeft());
    }

    // ------------------------------------------------------------ certificates

    @Test
    void defaultCertificateComesWithItsChain() throws Exception {
        try (RawClient c = implicit(proxy.port("imaps"), certs.clientContext())) {
            c.expect("* OK");
            Certificate[] chain = TlsClients.ssl(c).getSession().getPeerCertificates();
            assertEquals(2, chain.length, "leaf and intermediate");
            assertEquals("CN=localhost", ((X509Certificate) chain[0]).getSubjectX500Principal().getName());
        }
    }

    @Test
    void sniPicksTheOtherCertificate() throws Exception {
        try (RawClient c = implicit(proxy.port("imaps"), certs.clientContext(), TestCertificates.OTHER_NAME)) {
            c.expect("* OK");
            assertEquals("CN=" + TestCertificates.OTHER_NAME, TlsClients.peer(c).getSubjectX500Principal().getName());
        }
        try (RawClient c = implicit(proxy.port("pop3s"), certs.clientContext(), "localhost")) {
            c.expect("+OK");
            assertEquals("CN=localhost", TlsClients.peer(c).getSubjectX500Principal().getName());
        }
    }

    @Test
    void unknownSniNameGetsTheDefaultCertificate() throws Exception {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", proxy.port("imaps")), 5000);
        SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket(plain, "nobody.test", plain.getPort(), true);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("nobody.test")));
        s.setSSLParameters(p);
        try (RawClient c = new RawClient(s)) {
            c.expect("* OK");
            assertEquals("CN=localhost", TlsClients.peer(c).getSubjectX500Principal().getName());
        }
    }

    @Test
    void pkcs12Pkcs1AndSec1KeysAllServe() throws Exception {
        try (RawClient c = implicit(proxy.port("p12"), certs.clientContext())) {
            c.expect("* OK");
            assertEquals("CN=localhost", TlsClients.peer(c).getSubjectX500Principal().getName());
        }
        try (RawClient c = implicit(proxy.port("pkcs1"), certs.clientContext(), TestCertificates.OTHER_NAME)) {
            c.expect("* OK");
            assertEquals("RSA", TlsClients.peer(c).getPublicKey().getAlgorithm());
        }
        try (RawClient c = implicit(proxy.port("sec1"), certs.clientContext(), "ec.example.test")) {
            c.expect("* OK");
            assertEquals("EC", TlsClients.peer(c).getPublicKey().getAlgorithm());
        }
    }

    // ------------------------------------------------------------ protocols and ciphers

    @Test
    void defaultIsTls13AndTls12IsAccepted() throws Exception {
        try (RawClient c = implicit(proxy.port("imaps"), certs.clientContext())) {
            c.expect("* OK");
            assertEquals("TLSv1.3", TlsClients.ssl(c).getSession().getProtocol());
        }
        SSLContext tls12 = certs.clientContext();
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", proxy.port("imaps")), 5000);
        SSLSocket s = (SSLSocket) tls12.getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        try (RawClient c = new RawClient(s)) {
            c.expect("* OK");
            assertEquals("TLSv1.2", s.getSession().getProtocol());
        }
    }

    @Test
    void configuredProtocolAndCipherAreTheOnlyOnes() throws Exception {
        try (RawClient c = implicit(proxy.port("tls12"), certs.clientContext())) {
            c.expect("* OK");
            assertEquals("TLSv1.2", TlsClients.ssl(c).getSession().getProtocol());
            assertEquals("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", TlsClients.ssl(c).getSession().getCipherSuite());
        }
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", proxy.port("tls12")), 5000);
        SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        s.setSoTimeout(5000);
        assertThrows(SSLException.class, s::startHandshake);
        s.close();
        assertTrue(noSessionsLeft());
    }

    /**
     * A client-initiated TLS 1.2 renegotiation costs the server a private-key operation per
     * ClientHello and gains an honest client nothing: it is refused with a fatal alert (as
     * nginx, Postfix and Dovecot do), while the first handshake and the session work.
     * (TLS 1.3 has no renegotiation, RFC 8446 §4.1.2.) openssl's s_client renegotiates on
     * a line "R".
     */
    @Test
    void clientInitiatedRenegotiationIsRefused() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        Process p = new ProcessBuilder("/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + proxy.port("tls12"),
                "-tls1_2", "-servername", "localhost", "-crlf").redirectErrorStream(true).start();
        StringBuffer out = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) > 0; ) out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.append("\n(read failed: ").append(e).append(')');
            }
        });
        try (OutputStream in = p.getOutputStream()) {
            in.write("a NOOP\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            assertTrue(eventually(Duration.ofSeconds(10), () -> out.indexOf("a OK") >= 0), out::toString);
            in.write("R\n".getBytes(StandardCharsets.US_ASCII)); // s_client: renegotiate now
            in.flush();
            assertTrue(eventually(Duration.ofSeconds(10), () -> !p.isAlive()), out::toString);
        } catch (IOException stdinClosed) {
            // s_client may already be gone when the connection was refused
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            reader.join(Duration.ofSeconds(10));
        }
        String text = out.toString();
        assertTrue(text.contains("RENEGOTIATING"), text);
        assertTrue(text.contains("handshake failure"), text); // the fatal alert (RFC 5246 §7.2.2)
        assertTrue(noSessionsLeft());
        try (RawClient c = implicit(proxy.port("tls12"), certs.clientContext())) {
            c.expect("* OK");
        }
    }

    // ------------------------------------------------------------ the relay on TLS

    @Test
    void largeLiteralCrossesTheTlsRelayByteExact() throws Exception {
        int size = 5 * 1024 * 1024 + 17;
        try (RawClient c = implicit(proxy.port("imaps"), certs.clientContext())) {
            c.timeout(15_000);
            c.expect("* OK");
            c.line("a LOGIN bob big");
            c.expect("a OK");
            recorder.nextLogin();
            c.line("b BIG " + size);
            c.expect("* 1 FETCH (BODY[] {" + size + "}");
            assertArrayEquals(FakeBackends.pattern(size), c.readBytes(size));
            assertEquals(")", c.readLine());
            c.expect("b OK FETCH completed");
            // and the other way: 2000 pipelined commands in a burst
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 2000; i++) lines.append("x").append(i).append(" NOOP\r\n");
            c.send(lines.toString());
            for (int i = 0; i < 2000; i++) c.expect("x" + i + " OK NOOP completed");
            c.line("z LOGOUT");
            c.expect("* BYE");
        }
        assertTrue(noSessionsLeft());
    }

    /** The client half-closes its TLS side (close_notify + FIN); the backend's late answer still arrives. */
    @Test
    void clientHalfCloseOverTlsReachesTheBackendAndTheAnswerComesBack() throws Exception {
        try (RawClient c = implicit(proxy.port("imaps"), certs.clientContext())) {
            c.expect("* OK");
            c.line("a LOGIN bob late");
            c.expect("a OK");
            recorder.nextLogin();
            c.line("b LATE");
            TlsClients.ssl(c).shutdownOutput();
            c.expect("b OK late answer after your FIN");
            assertTrue(c.closedByPeer());
        }
        assertTrue(noSessionsLeft());
    }

    /** TLS 1.2 has no half-close (RFC 5246 §7.2.1): the session must still end cleanly. */
    @Test
    void clientCloseNotifyOverTls12EndsTheSession() throws Exception {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", proxy.port("imaps")), 5000);
        SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        try (RawClient c = new RawClient(s)) {
            c.expect("* OK");
            c.line("a LOGIN bob late12");
            c.expect("a OK");
            recorder.nextLogin();
            c.line("b LATE");
            s.shutdownOutput();
            // whether the late answer makes it is up to TLS 1.2; the end must come either way
            String l = c.readLine();
            assertTrue(l == null || l.startsWith("b OK late answer"), l);
        } catch (IOException e) {
            // the peer's duplex close may come as an exception: fine
        }
        assertTrue(noSessionsLeft());
    }

    /**
     * A client that stops reading while the backend sends: the proxy's writer blocks on the
     * client's full window. At proxy-timeout both sockets must be closed and the session end;
     * SSLSocket.close() wants the write lock the blocked writer holds, so a graceful close
     * alone would wait forever.
     */
    @Test
    void stuckTlsWriterIsClosedAtProxyTimeout() throws Exception {
        try (TestProxy p = TestProxy.start("""
                mailproxy {
                  limits { proxy-timeout = 2s }
                  backends { store { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imaps, protocol = imap, listen = "127.0.0.1:0", router = r, tls = implicit, %s } ]
                }
                """.formatted(imapBackend.port(), certs.listenerTls()));
             RawClient c = implicit(p.port("imaps"), certs.clientContext())) {
            c.expect("* OK");
            c.line("a LOGIN bob stuck");
            c.expect("a OK");
            recorder.nextLogin();
            c.line("b BIG 50000000"); // and never read it
            assertTrue(eventually(Duration.ofSeconds(10), () -> p.activeSessions() == 0),
                    "session still open: " + p.activeSessions());
        }
    }

    @Test
    void clientVanishingWithoutCloseNotifyEndsTheSession() throws Exception {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", proxy.port("imaps")), 5000);
        RawClient c = TlsClients.upgrade(plain, certs.clientContext(), null);
        c.expect("* OK");
        c.line("a LOGIN bob vanish");
        c.expect("a OK");
        recorder.nextLogin();
        // close the TCP socket under TLS: no close_notify, a reset
        plain.setSoLinger(true, 0);
        plain.close();
        assertTrue(noSessionsLeft());
    }

    // ------------------------------------------------------------ wrong kind of client

    @Test
    void plaintextClientOnTlsPortIsClosedPromptly() throws Exception {
        for (String listener : List.of("imaps", "pop3s", "smtps")) {
            try (RawClient c = RawClient.connect(proxy.port(listener))) {
                c.send("a LOGIN bob secret\r\nUSER bob\r\nEHLO x\r\n");
                String rest = c.readToEnd(); // a TLS alert at most; never a plaintext reply
                assertTrue(!rest.contains("OK") && !rest.contains("220") && !rest.contains("250"), listener + ": " + rest);
            }
        }
        assertTrue(noSessionsLeft());
    }

    @Test
    void silentPlaintextClientOnTlsPortTimesOut() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("imaps"))) {
            long t0 = System.nanoTime();
            c.timeout(10_000);
            assertEquals("", c.readToEnd()); // no greeting in plaintext, then closed after limits.timeout
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 1500 && ms < 8000, ms + " ms");
        }
        assertTrue(noSessionsLeft());
    }

    @Test
    void tlsClientOnPlainPortFailsCleanly() throws Exception {
        for (String listener : List.of("imap", "pop3", "smtp")) {
            Socket plain = new Socket();
            plain.connect(new InetSocketAddress("127.0.0.1", proxy.port(listener)), 5000);
            SSLSocket s = (SSLSocket) certs.clientContext().getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
            s.setSoTimeout(5000);
            assertThrows(SSLException.class, s::startHandshake, listener);
            s.close();
        }
        assertTrue(noSessionsLeft());
    }

    /**
     * A TLS client that sends its hello and then waits, without giving up on the plaintext
     * greeting: the proxy reads the hello as a (binary, LF-less) line and waits for its end;
     * the session still ends, after limits.timeout at the latest.
     */
    @Test
    void tlsHelloThatWaitsOnPlainPortEndsByTimeout() throws Exception {
        List<RawClient> clients = new ArrayList<>();
        try {
            byte[] hello = new byte[517];
            hello[0] = 0x16;
            hello[1] = 0x03;
            hello[2] = 0x01;
            hello[3] = 0x02;
            for (int i = 5; i < hello.length; i++) hello[i] = (byte) (i * 7 % 256 == '\n' ? 0 : i * 7);
            for (String listener : List.of("imap", "pop3", "smtp")) {
                RawClient c = RawClient.connect(proxy.port(listener));
                clients.add(c);
                c.send(hello);
            }
            long t0 = System.nanoTime();
            for (RawClient c : clients) {
                c.timeout(10_000);
                InputStream in = c.socket().getInputStream();
                byte[] sink = new byte[4096];
                try {
                    while (in.read(sink) >= 0) {
                        // the greeting and whatever error replies; then the close
                    }
                } catch (IOException reset) {
                    // a reset is a clean close as well
                }
            }
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(8).toNanos());
        } finally {
            for (RawClient c : clients) c.close();
        }
        assertTrue(noSessionsLeft());
    }
}
