package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealServers;
import mailproxy.testing.Sasl;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TLS from the proxy to its backends (tls = implicit | starttls per protocol, tls-verify,
 * tls-ca, tls-server-name, tls-certificate/tls-key), against a real Dovecot with
 * {@code ssl = required}. Dovecot counts loopback as secure, so the proof that the backend
 * hop was TLS is ", TLS," in its Login log line. A backend whose certificate does not
 * verify is the protocol's temporary failure for the client, never a plaintext fallback.
 */
@Timeout(60)
class BackendTlsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    static final SiteCertificates certs = SiteCertificates.shared();
    static RealDovecot dovecot;
    static TestProxy proxy;
    /** Fake backends that want the proxy's client certificate (implicit TLS; STARTTLS before AUTH). */
    static FakeBackend certImapBackend;
    static FakeBackend starttlsSmtpBackend;

    @BeforeAll
    static void start() throws Exception {
        dovecot = RealServers.tlsDovecot();
        certImapBackend = FakeBackends.imap().tls(certs.clientContext(certs.serverP12)).start();
        starttlsSmtpBackend = FakeBackends.smtp().tls(certs.clientContext(certs.serverP12)).start();
        String ca = "tls-ca = \"" + dovecot.tlsCertificate() + "\"";
        String h = "host = \"127.0.0.1\"";
        int imap = dovecot.imapPort();
        int imaps = dovecot.imapsPort();
        int pop3 = dovecot.pop3Port();
        int pop3s = dovecot.pop3sPort();
        String clientCert = "tls-ca = \"" + certs.caCert + "\", tls-server-name = localhost, tls-certificate = \""
                + certs.client.cert() + "\", tls-key = \"" + certs.client.key() + "\"";
        proxy = TestProxy.start("""
                mailproxy {
                  backends {
                    implicit   { %s, %s, imap { port = %d, tls = implicit }, pop3 { port = %d, tls = implicit } }
                    starttls   { %s, %s, imap { port = %d, tls = starttls }, pop3 { port = %d, tls = starttls } }
                    named      { %s, %s, tls-server-name = localhost, imap { port = %d, tls = implicit } }
                    wrongname  { %s, %s, tls-server-name = mail.elsewhere.test, imap { port = %d, tls = implicit } }
                    wrongca    { %s, tls-ca = "%s", imap { port = %d, tls = implicit }, pop3 { port = %d, tls = starttls } }
                    systemca   { %s, imap { port = %d, tls = starttls } }
                    noverify   { %s, tls-verify = false, imap { port = %d, tls = implicit }, pop3 { port = %d, tls = implicit } }
                    clientcert { %s, %s, imap { port = %d, tls = implicit } }
                    smtptls    { %s, %s, smtp { port = %d, tls = starttls, auth = plain } }
                  }
                  %s
                }
                """.formatted(h, ca, imaps, pop3s, h, ca, imap, pop3, h, ca, imaps, h, ca, imaps,
                h, certs.otherCaCert, imaps, pop3, h, imap, h, imaps, pop3s,
                h, clientCert, certImapBackend.port(), h, clientCert, starttlsSmtpBackend.port(),
                routersAndListeners("imap-implicit implicit", "pop3-implicit implicit", "imap-starttls starttls",
                        "pop3-starttls starttls", "imap-named named", "imap-wrongname wrongname", "imap-wrongca wrongca",
                        "pop3-wrongca wrongca", "imap-systemca systemca", "imap-noverify noverify",
                        "pop3-noverify noverify", "imap-clientcert clientcert", "smtp-starttls smtptls")));
    }

    /**
     * From "listener backend" pairs: a static router per backend, named as the backend and
     * sending everyone there, and the listeners using them; a listener's protocol is its
     * name up to the "-".
     */
    private static String routersAndListeners(String... listenerBackend) {
        StringBuilder routers = new StringBuilder("routers {\n");
        StringBuilder listeners = new StringBuilder("listeners = [\n");
        Set<String> backends = new LinkedHashSet<>();
        for (String pair : listenerBackend) {
            String[] w = pair.split(" ");
            if (backends.add(w[1])) routers.append("  %s { type = static, default = %s }\n".formatted(w[1], w[1]));
            listeners.append("  { name = %s, protocol = %s, listen = \"127.0.0.1:0\", router = %s }\n"
                    .formatted(w[0], w[0].substring(0, w[0].indexOf('-')), w[1]));
        }
        return routers.append("}\n").append(listeners).append("]").toString();
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (certImapBackend != null) certImapBackend.close();
        if (starttlsSmtpBackend != null) starttlsSmtpBackend.close();
    }

    /** Logs in as bob through an IMAP listener, fetches seeded message 1 byte-exact, logs out. */
    private static void imapSession(String listener) throws IOException {
        long mark = dovecot.logMark();
        try (RawClient c = RawClient.connect(proxy.port(listener))) {
            c.expect("* OK");
            c.line("a LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD);
            c.expect("a OK");
            c.line("b SELECT INBOX");
            for (String l = c.readLine(); !l.startsWith("b "); l = c.readLine()) {
                // untagged SELECT data
            }
            byte[] expected = RealDovecot.seededMessage(1);
            c.line("c FETCH 1 BODY.PEEK[]");
            c.expect("* 1 FETCH (BODY[] {" + expected.length + "}");
            assertArrayEquals(expected, c.readBytes(expected.length));
            assertEquals(")", c.readLine());
            c.expect("c OK");
            c.line("d LOGOUT");
            c.expect("* BYE");
            c.expect("d OK");
            assertTrue(c.closedByPeer());
        }
        assertTrue(dovecot.awaitLog(mark, "imap-login: Info: Login: user=<bob>", WAIT).contains(", TLS,"),
                "the backend hop was not TLS");
        assertTrue(proxy.noSessionsWithin(Duration.ofSeconds(5)));
    }

    private static void pop3Session(String listener) throws IOException {
        long mark = dovecot.logMark();
        try (RawClient c = RawClient.connect(proxy.port(listener))) {
            c.expect("+OK");
            c.line("USER " + RealDovecot.BOB);
            c.expect("+OK");
            c.line("PASS " + RealDovecot.BOB_PASSWORD);
            c.expect("+OK");
            c.line("STAT");
            c.expect("+OK " + RealDovecot.seededMessageCount() + " ");
            c.line("QUIT");
            c.expect("+OK");
            assertTrue(c.closedByPeer());
        }
        assertTrue(dovecot.awaitLog(mark, "pop3-login: Info: Login: user=<bob>", WAIT).contains(", TLS,"),
                "the backend hop was not TLS");
    }

    private static void imapTemporaryFailure(String listener) throws IOException {
        try (RawClient c = RawClient.connect(proxy.port(listener))) {
            c.expect("* OK");
            c.line("a LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD);
            c.expect("a NO [UNAVAILABLE]");
            c.expect("* BYE");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void implicitTlsToImapsAndPop3sVerifiedAgainstTheBackendCertificate() throws Exception {
        imapSession("imap-implicit");
        pop3Session("pop3-implicit");
    }

    @Test
    void starttlsAndStlsToThePlainPorts() throws Exception {
        imapSession("imap-starttls");
        pop3Session("pop3-starttls");
    }

    @Test
    void serverNameIsVerifiedWhenConfigured() throws Exception {
        imapSession("imap-named");
        imapTemporaryFailure("imap-wrongname");
    }

    @Test
    void certificateFromAnotherCaIsATemporaryFailure() throws Exception {
        long mark = dovecot.logMark();
        imapTemporaryFailure("imap-wrongca");
        try (RawClient c = RawClient.connect(proxy.port("pop3-wrongca"))) {
            c.expect("+OK");
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS " + RealDovecot.BOB_PASSWORD);
            c.expect("-ERR [SYS/TEMP]");
            assertTrue(c.closedByPeer());
        }
        // nothing was logged in (and no password went out in plaintext)
        assertTrue(!dovecot.logFile().textSince(mark).contains("Login: user=<bob>"));
    }

    @Test
    void verificationIsOnByDefaultAgainstTheSystemStore() throws Exception {
        imapTemporaryFailure("imap-systemca");
    }

    @Test
    void tlsVerifyFalseTakesAnyCertificate() throws Exception {
        imapSession("imap-noverify");
        pop3Session("pop3-noverify");
    }

    @Test
    void clientCertificateIsShownToABackendThatAsks() throws Exception {
        certImapBackend.clientSubjects().clear();
        try (RawClient c = RawClient.connect(proxy.port("imap-clientcert"))) {
            c.transcript("""
                    S: * OK...
                    C: a LOGIN bob pw
                    S: a OK...
                    C: b LOGOUT
                    S: * BYE...
                    """);
        }
        assertEquals("bob pw", certImapBackend.nextLogin());
        assertEquals("CN=bob,O=Example", certImapBackend.clientSubjects().poll());
    }

    @Test
    void smtpStartTlsToTheBackendBeforeAuth() throws Exception {
        starttlsSmtpBackend.received().clear();
        try (RawClient c = RawClient.connect(proxy.port("smtp-starttls"))) {
            c.expect("220");
            c.line("EHLO client.example");
            c.smtpReply();
            c.transcript("""
                    C: AUTH PLAIN %s
                    S: 235...
                    C: QUIT
                    S: 221...
                    """.formatted(Sasl.plain("bob", "smtp pw")));
        }
        assertEquals("bob smtp pw", starttlsSmtpBackend.nextLogin());
        // STARTTLS, then EHLO again inside TLS, then AUTH
        List<String> saw = starttlsSmtpBackend.received();
        int tls = saw.indexOf("STARTTLS");
        assertTrue(tls > 0 && saw.get(tls + 1).startsWith("EHLO ") && saw.get(tls + 2).startsWith("AUTH PLAIN "),
                saw.toString());
        assertEquals("CN=bob,O=Example", starttlsSmtpBackend.clientSubjects().poll());
    }

    /**
     * The client half-closes; the proxy passes the FIN on to the TLS backend as close_notify
     * (TLS 1.3 allows a half-close), and the backend's answer after it still comes back.
     */
    @Test
    void halfCloseTowardsATlsBackend() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("imap-clientcert"))) {
            c.transcript("""
                    S: * OK...
                    C: a LOGIN bob late
                    S: a OK...
                    C: b LATE
                    """);
            assertEquals("bob late", certImapBackend.nextLogin());
            c.socket().shutdownOutput();
            c.transcript("""
                    S: b OK late answer after your FIN...
                    S closes
                    """);
        }
        assertTrue(proxy.noSessionsWithin(Duration.ofSeconds(5)));
    }

    /**
     * The same against Dovecot: LOGOUT and at once the FIN. Dovecot's imap-login drops
     * the session when the close_notify arrives, sometimes before the BYE goes out (about
     * one time in five with a client talking to it directly, too), so only the clean end
     * is asserted.
     */
    @Test
    void halfCloseAfterLogoutTowardsDovecotEndsCleanly() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("imap-implicit"))) {
            c.expect("* OK");
            c.line("a LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD);
            c.expect("a OK");
            c.line("b LOGOUT");
            c.socket().shutdownOutput();
            for (String l = c.readLine(); l != null; l = c.readLine()) {
                assertTrue(l.startsWith("* BYE") || l.startsWith("b OK"), l);
            }
        }
        assertTrue(proxy.noSessionsWithin(Duration.ofSeconds(5)));
    }
}
