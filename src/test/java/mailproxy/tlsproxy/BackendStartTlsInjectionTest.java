package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
import mailproxy.tls.TlsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Response injection into the proxy's own STARTTLS towards a backend (the CVE-2021-33515
 * pattern; RFC 3207 §4.2, RFC 2595 §3.1, RFC 9051 §6.2.1, RFC 5804 §2.2), for every
 * protocol the proxy speaks to a backend, LMTP deliveries too: a backend, or
 * whoever sits on the plaintext hop, writes its go-ahead and, in the same packet, answers
 * to the commands the proxy will send only inside TLS: fresh capabilities and a successful
 * login (LMTP: an accepted recipient). Then it does the handshake and, inside TLS, refuses
 * the login (the recipient). The proxy throws
 * away what it had buffered beyond the go-ahead (docs/SECURITY.md, "Backends and pools"),
 * so the client's answer is the refusal from inside TLS and the capabilities are the ones
 * read inside TLS, never the injected ones.
 *
 * <p>The backends' scripts are transcripts from the backend's side: {@code S:} is what the
 * backend reads from the proxy, {@code C:} what it writes.
 */
@Timeout(30)
class BackendStartTlsInjectionTest {
    static final SiteCertificates certs = SiteCertificates.shared();
    /** The backends' side of the handshake: the site's server certificate. */
    static final SSLContext backendTls = certs.clientContext(certs.serverP12);
    static ScriptedServer imap;
    static ScriptedServer pop3;
    static ScriptedServer smtp;
    static ScriptedServer sieve;
    static ScriptedServer lmtp;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        imap = new ScriptedServer(BackendStartTlsInjectionTest::imapBackend);
        pop3 = new ScriptedServer(BackendStartTlsInjectionTest::pop3Backend);
        smtp = new ScriptedServer(BackendStartTlsInjectionTest::smtpBackend);
        sieve = new ScriptedServer(BackendStartTlsInjectionTest::sieveBackend);
        lmtp = new ScriptedServer(BackendStartTlsInjectionTest::lmtpBackend);
        String tls = "host = \"127.0.0.1\", tls-ca = \"" + certs.caCert + "\", tls-server-name = localhost";
        proxy = TestProxy.start("""
                mailproxy {
                  backends {
                    bimap  { %s, imap  { port = %d, tls = starttls } }
                    bpop3  { %s, pop3  { port = %d, tls = starttls } }
                    bsmtp  { %s, smtp  { port = %d, tls = starttls, auth = plain } }
                    bsieve { %s, sieve { port = %d, tls = starttls } }
                    blmtp  { %s, lmtp  { port = %d, tls = starttls } }
                  }
                  routers {
                    rimap { type = static, default = bimap }
                    rpop3 { type = static, default = bpop3 }
                    rsmtp { type = static, default = bsmtp }
                    rsieve { type = static, default = bsieve }
                    rlmtp { type = static, default = blmtp }
                  }
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0", router = rimap }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0", router = rpop3 }
                    { name = smtp, protocol = smtp, listen = "127.0.0.1:0", router = rsmtp }
                    { name = sieve, protocol = sieve, listen = "127.0.0.1:0", router = rsieve }
                    { name = lmtp, protocol = lmtp, listen = "127.0.0.1:0", router = rlmtp }
                  ]
                }
                """.formatted(tls, imap.port(), tls, pop3.port(), tls, smtp.port(), tls, sieve.port(), tls, lmtp.port()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        for (ScriptedServer s : new ScriptedServer[] {imap, pop3, smtp, sieve, lmtp}) if (s != null) s.close();
    }

    /** The server side of the TLS handshake over a backend's plaintext connection. */
    private static RawClient secure(RawClient plain) throws IOException {
        TlsServer.refuseClientRenegotiation(); // the JVM's policy is fixed by its first server handshake
        SSLSocket s = (SSLSocket) backendTls.getSocketFactory()
                .createSocket(plain.socket(), null, plain.socket().getPort(), true);
        s.setUseClientMode(false);
        s.startHandshake();
        return new RawClient(s);
    }

    /** Asserts that the backend's script ran to its end without a failure, and only once. */
    private static void backendDid(ScriptedServer backend, int accepted) {
        assertEquals(List.of(), backend.failures(), "the backend's script failed");
        assertEquals(accepted, backend.accepted(), "connections to the backend");
    }

    // ---------------------------------------------------------------- IMAP

    /**
     * LITERAL+ only in the injected capabilities: the proxy's LOGIN with a synchronizing
     * literal shows that it took the capabilities read inside TLS.
     */
    static void imapBackend(RawClient peer) throws Exception {
        peer.transcript("""
                C: * OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready
                S: mp1 STARTTLS
                """);
        peer.send("mp1 OK Begin TLS\r\n"
                + "* CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN\r\n"
                + "mp2 OK CAPABILITY completed\r\n"
                + "mp3 OK [CAPABILITY IMAP4rev1 IDLE] injected: logged in\r\n");
        secure(peer).transcript("""
                S: mp2 CAPABILITY
                C: * CAPABILITY IMAP4rev1 AUTH=PLAIN
                C: mp2 OK CAPABILITY completed
                S: mp3 LOGIN {3}
                C: + go on
                S: bob {12}
                C: + go on
                S: imap-Inj4Tls
                C: mp3 NO [AUTHENTICATIONFAILED] refused inside TLS
                """);
    }

    @Test
    void imapInjectedLoginAnswerAfterStartTlsIsDiscarded() throws Exception {
        int before = imap.accepted();
        try (RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.transcript("""
                    S: * OK...
                    C: a LOGIN bob imap-Inj4Tls
                    # not the injected "* CAPABILITY" nor "OK ... logged in": the answer from inside TLS
                    S: a NO [AUTHENTICATIONFAILED] refused inside TLS
                    C: b LOGOUT
                    S: * BYE...
                    """);
        }
        backendDid(imap, before + 1);
    }

    // ---------------------------------------------------------------- POP3

    static void pop3Backend(RawClient peer) throws Exception {
        peer.transcript("""
                C: +OK fake ready
                S: STLS
                """);
        peer.send("+OK Begin TLS\r\n+OK injected: USER accepted\r\n+OK injected: logged in\r\n");
        secure(peer).transcript("""
                S: USER bob
                C: +OK
                S: PASS pop3-Inj4Tls
                C: -ERR [AUTH] refused inside TLS
                """);
    }

    @Test
    void pop3InjectedLoginAnswerAfterStlsIsDiscarded() throws Exception {
        int before = pop3.accepted();
        try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
            c.transcript("""
                    S: +OK...
                    C: USER bob
                    S: +OK...
                    C: PASS pop3-Inj4Tls
                    S: -ERR [AUTH] refused inside TLS
                    C: QUIT
                    S: +OK...
                    """);
        }
        backendDid(pop3, before + 1);
    }

    // ---------------------------------------------------------------- SMTP

    static void smtpBackend(RawClient peer) throws Exception {
        peer.line("220 fake ESMTP");
        assertTrue(peer.readLine().startsWith("EHLO "));
        peer.transcript("""
                C: 250-fake
                C: 250-STARTTLS
                C: 250 AUTH PLAIN
                S: STARTTLS
                """);
        peer.send("220 2.0.0 go ahead\r\n250-fake\r\n250 AUTH PLAIN\r\n235 2.7.0 injected: authenticated\r\n");
        RawClient tls = secure(peer);
        assertTrue(tls.readLine().startsWith("EHLO "), "RFC 3207 §4.2: EHLO again inside TLS");
        tls.transcript("""
                C: 250-fake
                C: 250 AUTH PLAIN
                S: AUTH PLAIN %s
                C: 535 5.7.8 refused inside TLS
                """.formatted(Sasl.plain("bob", "smtp-Inj4Tls")));
    }

    @Test
    void smtpInjectedAuthAnswerAfterStartTlsIsDiscarded() throws Exception {
        int before = smtp.accepted();
        try (RawClient c = RawClient.connect(proxy.port("smtp"))) {
            c.expect("220 ");
            c.line("EHLO client.example");
            c.smtpReply();
            c.transcript("""
                    C: AUTH PLAIN %s
                    S: 535 5.7.8 refused inside TLS
                    C: QUIT
                    S: 221...
                    """.formatted(Sasl.plain("bob", "smtp-Inj4Tls")));
        }
        backendDid(smtp, before + 1);
    }

    // ---------------------------------------------------------------- ManageSieve

    static void sieveBackend(RawClient peer) throws Exception {
        peer.transcript("""
                C: "IMPLEMENTATION" "fake"
                C: "SASL" "PLAIN"
                C: "STARTTLS"
                C: "VERSION" "1.0"
                C: OK "ready"
                S: STARTTLS
                """);
        peer.send("OK \"Begin TLS\"\r\n\"SASL\" \"PLAIN\"\r\nOK \"injected capabilities\"\r\nOK \"injected: logged in\"\r\n");
        secure(peer).transcript("""
                C: "IMPLEMENTATION" "fake"
                C: "SASL" "PLAIN"
                C: "VERSION" "1.0"
                C: OK "TLS negotiation successful"
                S: AUTHENTICATE "PLAIN" "%s"
                C: NO "refused inside TLS"
                """.formatted(Sasl.plain("bob", "sieve-Inj4Tls")));
    }

    @Test
    void sieveInjectedLoginAnswerAfterStartTlsIsDiscarded() throws Exception {
        int before = sieve.accepted();
        try (RawClient c = RawClient.connect(proxy.port("sieve"))) {
            for (String l = c.readLine(); !l.startsWith("OK"); l = c.readLine()) {
                // the proxy's capabilities
            }
            c.transcript("""
                    C: AUTHENTICATE "PLAIN" "%s"
                    S: NO "refused inside TLS"
                    C: LOGOUT
                    S: OK...
                    """.formatted(Sasl.plain("bob", "sieve-Inj4Tls")));
        }
        backendDid(sieve, before + 1);
    }

    // ---------------------------------------------------------------- LMTP

    static void lmtpBackend(RawClient peer) throws Exception {
        peer.line("220 fake LMTP");
        assertTrue(peer.readLine().startsWith("LHLO "));
        peer.transcript("""
                C: 250-fake
                C: 250 STARTTLS
                S: STARTTLS
                """);
        peer.send("220 2.0.0 go ahead\r\n250-fake\r\n250 PIPELINING\r\n"
                + "250 2.1.0 injected: sender ok\r\n250 2.1.5 injected: recipient ok\r\n");
        RawClient tls = secure(peer);
        assertTrue(tls.readLine().startsWith("LHLO "), "RFC 3207 §4.2: LHLO again inside TLS");
        tls.line("250 fake");
        assertTrue(tls.readLine().startsWith("MAIL FROM:<sender@example.test>"));
        tls.transcript("""
                C: 250 2.1.0 ok
                S: RCPT TO:<bob@example.test>
                C: 550 5.1.1 refused inside TLS
                """);
        try {
            tls.readToEnd(); // whatever the proxy says before it hangs up
        } catch (IOException hungUp) {
            // without a close_notify: as good an end
        }
    }

    @Test
    void lmtpInjectedRecipientAnswerAfterStartTlsIsDiscarded() throws Exception {
        int before = lmtp.accepted();
        try (RawClient c = RawClient.connect(proxy.port("lmtp"))) {
            c.expect("220 ");
            c.line("LHLO mta.example.test");
            c.smtpReply();
            c.transcript("""
                    C: MAIL FROM:<sender@example.test>
                    S: 250...
                    C: RCPT TO:<bob@example.test>
                    S: 550 5.1.1 refused inside TLS
                    C: QUIT
                    S: 221...
                    """);
        }
        backendDid(lmtp, before + 1);
    }
}
