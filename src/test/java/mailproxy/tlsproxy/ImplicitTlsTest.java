package mailproxy.tlsproxy;

import static mailproxy.tlsproxy.TlsClients.implicit;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.OutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.Await;
import mailproxy.testing.RawClient;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer.Script;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestPki;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Implicit TLS listeners (imaps 993, pop3s 995, smtps 465; RFC 8314 §3.3): certificates in
 * the forms admins have (PEM chain with PKCS#8, PKCS#1 and SEC1 keys, PKCS#12), chosen by
 * SNI; protocols and ciphers as configured; the relay on TLS sockets both ways, half-close
 * included; and clients speaking the wrong thing (plaintext on a TLS port, TLS on a plain
 * one) ending cleanly without leaving a session behind.
 */
@Timeout(30)
class ImplicitTlsTest {
    @RegisterExtension
    static final TlsFixture f = TlsFixture.withFakeBackends(certs -> {
        String sni = certs.listenerTlsWithSni();
        return """
                limits { timeout = 2s, half-close-timeout = 5s }
                relay { buffer-size = 65536 }
                listeners = [
                %s%s  { name = smtps-delay, protocol = smtp, listen = "127.0.0.1:0", tls = implicit, %s,
                    smtp-greeting-delay = 500ms }
                  { name = p12, protocol = imap, listen = "127.0.0.1:0", tls = implicit,
                    tls-certificates = [ { pkcs12 = "%s", password = "%s" } ] }
                  { name = pkcs1, protocol = imap, listen = "127.0.0.1:0", tls = implicit,
                    tls-certificates = [ { certificate = "%s", key = "%s" } ] }
                  { name = sec1, protocol = imap, listen = "127.0.0.1:0", tls = implicit,
                    tls-certificates = [ { certificate = "%s", key = "%s" } ] }
                  { name = tls12, protocol = imap, listen = "127.0.0.1:0", tls = implicit, %s,
                    tls-protocols = [ "TLSv1.2" ], tls-ciphers = [ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" ] }
                ]
                """.formatted(TlsFixture.perProtocol("%ss", "tls = implicit, " + sni), TlsFixture.perProtocol("%s", ""),
                sni, certs.serverP12, TestPki.PASSWORD, certs.other.cert(),
                certs.other.key(), certs.ec.cert(), certs.ec.key(), certs.listenerTls());
    });

    private static SSLContext client() {
        return f.certs.clientContext();
    }

    // ------------------------------------------------------------ logins on the three protocols

    /**
     * Per protocol: the implicit TLS listener, what the client checks of the capabilities
     * (no STARTTLS offered inside TLS) and its session, and the login the backend must see.
     */
    static Stream<Arguments> sessions() {
        return Stream.of(
                arguments("imapsGreetsInTlsAndRelays", "imap", (Script) c -> {
                    String greeting = c.expect("* OK [CAPABILITY ");
                    assertTrue(greeting.contains("AUTH=PLAIN") && !greeting.contains("STARTTLS"), greeting);
                    c.transcript("""
                            C: a LOGIN bob imaps-pw
                            S: a OK...
                            C: b NOOP
                            S: b OK NOOP completed
                            C: c LOGOUT
                            S: * BYE...
                            S: c OK...
                            S closes
                            """);
                }, "bob imaps-pw"),
                arguments("pop3sGreetsInTlsAndRelays", "pop3", (Script) c -> {
                    c.expect("+OK");
                    c.line("CAPA");
                    List<String> caps = c.pop3List();
                    assertTrue(!caps.contains("STLS"), caps.toString());
                    c.transcript("""
                            C: USER bob
                            S: +OK...
                            C: PASS pop3s-pw
                            S: +OK Logged in.
                            C: QUIT
                            S: +OK Logging out.
                            S closes
                            """);
                }, "bob pop3s-pw"),
                arguments("smtpsGreetsInTlsAndRelays", "smtp", (Script) c -> {
                    c.expect("220 ");
                    c.line("EHLO client.example");
                    List<String> ehlo = c.smtpReply();
                    assertTrue(ehlo.stream().noneMatch(l -> l.contains("STARTTLS")), ehlo.toString());
                    c.transcript("""
                            C: AUTH PLAIN %s
                            S: 235...
                            C: QUIT
                            S: 221...
                            """.formatted(Sasl.plain("bob", "smtps-pw")));
                }, "bob smtps-pw"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sessions")
    void greetsInTlsAndRelays(String name, String protocol, Script session, String login) {
        assertAll(name, () -> { // a failure names its case
            try (RawClient c = implicit(f.port(protocol + "s"), client())) {
                session.run(c);
            }
            assertEquals(login, f.backend(protocol).nextLogin());
            assertTrue(f.noSessionsLeft());
        });
    }

    /** The greeting delay (pregreet test) counts from the end of the handshake and speaks TLS. */
    @Test
    void smtpsGreetingDelayWorksInsideTls() throws Exception {
        try (RawClient c = implicit(f.port("smtps-delay"), client())) {
            c.expect("220 ");
            c.line("EHLO patient.example");
            c.expect("250-");
        }
        try (RawClient c = implicit(f.port("smtps-delay"), client())) {
            c.line("EHLO hasty.example");
            c.expect("503 5.5.0");
            assertTrue(c.closedByPeer());
        }
        assertTrue(f.noSessionsLeft());
    }

    // ------------------------------------------------------------ certificates

    @Test
    void defaultCertificateComesWithItsChain() throws Exception {
        try (RawClient c = implicit(f.port("imaps"), client())) {
            c.expect("* OK");
            Certificate[] chain = TlsClients.ssl(c).getSession().getPeerCertificates();
            assertEquals(2, chain.length, "leaf and intermediate");
            assertEquals("CN=localhost", ((X509Certificate) chain[0]).getSubjectX500Principal().getName());
        }
    }

    @Test
    void sniPicksTheOtherCertificate() throws Exception {
        try (RawClient c = implicit(f.port("imaps"), client(), SiteCertificates.OTHER_NAME)) {
            c.expect("* OK");
            assertEquals("CN=" + SiteCertificates.OTHER_NAME, TlsClients.peer(c).getSubjectX500Principal().getName());
        }
        try (RawClient c = implicit(f.port("pop3s"), client(), "localhost")) {
            c.expect("+OK");
            assertEquals("CN=localhost", TlsClients.peer(c).getSubjectX500Principal().getName());
        }
    }

    @Test
    void unknownSniNameGetsTheDefaultCertificate() throws Exception {
        SSLSocket s = TlsClients.socket(f.port("imaps"), client(), "nobody.test");
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
        try (RawClient c = implicit(f.port("p12"), client())) {
            c.expect("* OK");
            assertEquals("CN=localhost", TlsClients.peer(c).getSubjectX500Principal().getName());
        }
        try (RawClient c = implicit(f.port("pkcs1"), client(), SiteCertificates.OTHER_NAME)) {
            c.expect("* OK");
            assertEquals("RSA", TlsClients.peer(c).getPublicKey().getAlgorithm());
        }
        try (RawClient c = implicit(f.port("sec1"), client(), "ec.example.test")) {
            c.expect("* OK");
            assertEquals("EC", TlsClients.peer(c).getPublicKey().getAlgorithm());
        }
    }

    // ------------------------------------------------------------ protocols and ciphers

    @Test
    void defaultIsTls13AndTls12IsAccepted() throws Exception {
        try (RawClient c = implicit(f.port("imaps"), client())) {
            c.expect("* OK");
            assertEquals("TLSv1.3", TlsClients.ssl(c).getSession().getProtocol());
        }
        SSLSocket s = TlsClients.socket(f.port("imaps"), client(), "localhost");
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        try (RawClient c = new RawClient(s)) {
            c.expect("* OK");
            assertEquals("TLSv1.2", s.getSession().getProtocol());
        }
    }

    @Test
    void configuredProtocolAndCipherAreTheOnlyOnes() throws Exception {
        try (RawClient c = implicit(f.port("tls12"), client())) {
            c.expect("* OK");
            assertEquals("TLSv1.2", TlsClients.ssl(c).getSession().getProtocol());
            assertEquals("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", TlsClients.ssl(c).getSession().getCipherSuite());
        }
        SSLSocket s = TlsClients.socket(f.port("tls12"), client(), "localhost");
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        s.setSoTimeout(5000);
        assertThrows(SSLException.class, s::startHandshake);
        s.close();
        assertTrue(f.noSessionsLeft());
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
        Process p = new ProcessBuilder("/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + f.port("tls12"),
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
            assertTrue(Await.until(Duration.ofSeconds(10), () -> out.indexOf("a OK") >= 0), out::toString);
            in.write("R\n".getBytes(StandardCharsets.US_ASCII)); // s_client: renegotiate now
            in.flush();
            assertTrue(Await.until(Duration.ofSeconds(10), () -> !p.isAlive()), out::toString);
        } catch (IOException stdinClosed) {
            // s_client may already be gone when the connection was refused
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            reader.join(Duration.ofSeconds(10));
        }
        String text = out.toString();
        assertTrue(text.contains("RENEGOTIATING"), text);
        // the fatal alert (RFC 5246 §7.2.2); BoringSSL (tls-provider = openssl) never
        // renegotiates as a server and answers with no_renegotiation (§7.2.2, 100) instead
        assertTrue(text.contains("handshake failure")
                || TestProxy.openssl() && text.contains("no renegotiation"), text);
        assertTrue(f.noSessionsLeft());
        try (RawClient c = implicit(f.port("tls12"), client())) {
            c.expect("* OK");
        }
    }

    // ------------------------------------------------------------ the relay on TLS

    @Test
    void largeLiteralCrossesTheTlsRelayByteExact() throws Exception {
        int size = 5 * 1024 * 1024 + 17;
        try (RawClient c = implicit(f.port("imaps"), client())) {
            c.timeout(15_000);
            c.expect("* OK");
            c.line("a LOGIN bob big");
            c.expect("a OK");
            f.imap.nextLogin();
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
        assertTrue(f.noSessionsLeft());
    }

    /**
     * The client half-closes its TLS side (close_notify + FIN); the backend's late answer
     * still arrives. With tls-provider = openssl the close_notify closes both ways (netty's
     * engine answers it with its own, as nginx does): the session must still end cleanly.
     */
    @Test
    void clientHalfCloseOverTlsReachesTheBackendAndTheAnswerComesBack() throws Exception {
        try (RawClient c = implicit(f.port("imaps"), client())) {
            c.expect("* OK");
            c.line("a LOGIN bob late");
            c.expect("a OK");
            f.imap.nextLogin();
            c.line("b LATE");
            TlsClients.ssl(c).shutdownOutput();
            if (TestProxy.openssl()) {
                assertEquals(null, c.readLine());
            } else {
                c.expect("b OK late answer after your FIN");
                assertTrue(c.closedByPeer());
            }
        }
        assertTrue(f.noSessionsLeft());
    }

    /** TLS 1.2 has no half-close (RFC 5246 §7.2.1): the session must still end cleanly. */
    @Test
    void clientCloseNotifyOverTls12EndsTheSession() throws Exception {
        SSLSocket s = TlsClients.socket(f.port("imaps"), client(), "localhost");
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        try (RawClient c = new RawClient(s)) {
            c.expect("* OK");
            c.line("a LOGIN bob late12");
            c.expect("a OK");
            f.imap.nextLogin();
            c.line("b LATE");
            s.shutdownOutput();
            // whether the late answer makes it is up to TLS 1.2; the end must come either way
            String l = c.readLine();
            assertTrue(l == null || l.startsWith("b OK late answer"), l);
        } catch (IOException e) {
            // the peer's duplex close may come as an exception: fine
        }
        assertTrue(f.noSessionsLeft());
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
                """.formatted(f.imap.port(), f.certs.listenerTls()));
             RawClient c = implicit(p.port("imaps"), client())) {
            c.expect("* OK");
            c.line("a LOGIN bob stuck");
            c.expect("a OK");
            f.imap.nextLogin();
            c.line("b BIG 50000000"); // and never read it
            assertTrue(p.noSessionsWithin(Duration.ofSeconds(10)),
                    "session still open: " + p.activeSessions());
        }
    }

    @Test
    void clientVanishingWithoutCloseNotifyEndsTheSession() throws Exception {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", f.port("imaps")), 5000);
        RawClient c = TlsClients.upgrade(plain, client(), null);
        c.expect("* OK");
        c.line("a LOGIN bob vanish");
        c.expect("a OK");
        f.imap.nextLogin();
        // close the TCP socket under TLS: no close_notify, a reset
        plain.setSoLinger(true, 0);
        plain.close();
        assertTrue(f.noSessionsLeft());
    }

    // ------------------------------------------------------------ wrong kind of client

    @Test
    void plaintextClientOnTlsPortIsClosedPromptly() throws Exception {
        for (String listener : List.of("imaps", "pop3s", "smtps")) {
            try (RawClient c = RawClient.connect(f.port(listener))) {
                c.send("a LOGIN bob secret\r\nUSER bob\r\nEHLO x\r\n");
                String rest = c.readToEnd(); // a TLS alert at most; never a plaintext reply
                assertTrue(!rest.contains("OK") && !rest.contains("220") && !rest.contains("250"), listener + ": " + rest);
            }
        }
        assertTrue(f.noSessionsLeft());
    }

    @Test
    void silentPlaintextClientOnTlsPortTimesOut() throws Exception {
        try (RawClient c = RawClient.connect(f.port("imaps"))) {
            long t0 = System.nanoTime();
            c.timeout(10_000);
            assertEquals("", c.readToEnd()); // no greeting in plaintext, then closed after limits.timeout
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 1500 && ms < 8000, ms + " ms");
        }
        assertTrue(f.noSessionsLeft());
    }

    @Test
    void tlsClientOnPlainPortFailsCleanly() throws Exception {
        for (String listener : List.of("imap", "pop3", "smtp")) {
            SSLSocket s = TlsClients.socket(f.port(listener), client(), "localhost");
            s.setSoTimeout(5000);
            assertThrows(SSLException.class, s::startHandshake, listener);
            s.close();
        }
        assertTrue(f.noSessionsLeft());
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
                RawClient c = RawClient.connect(f.port(listener));
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
        assertTrue(f.noSessionsLeft());
    }
}
