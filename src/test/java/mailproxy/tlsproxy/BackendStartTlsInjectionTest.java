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
    static StartTlsBackends backends;

    @BeforeAll
    static void start() throws Exception {
        backends = StartTlsBackends.start(
                new ScriptedServer(BackendStartTlsInjectionTest::imapBackend),
                new ScriptedServer(BackendStartTlsInjectionTest::pop3Backend),
                new ScriptedServer(BackendStartTlsInjectionTest::smtpBackend),
                new ScriptedServer(BackendStartTlsInjectionTest::sieveBackend),
                new ScriptedServer(BackendStartTlsInjectionTest::lmtpBackend));
    }

    @AfterAll
    static void stop() throws Exception {
        if (backends != null) backends.close();
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
    private static void backendDid(String protocol, int accepted) {
        ScriptedServer backend = backends.backend(protocol);
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
        int before = backends.play("imap", """
                S: * OK...
                C: a LOGIN bob imap-Inj4Tls
                # not the injected "* CAPABILITY" nor "OK ... logged in": the answer from inside TLS
                S: a NO [AUTHENTICATIONFAILED] refused inside TLS
                C: b LOGOUT
                S: * BYE...
                """);
        backendDid("imap", before + 1);
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
        int before = backends.play("pop3", """
                S: +OK...
                C: USER bob
                S: +OK...
                C: PASS pop3-Inj4Tls
                S: -ERR [AUTH] refused inside TLS
                C: QUIT
                S: +OK...
                """);
        backendDid("pop3", before + 1);
    }

    // ---------------------------------------------------------------- SMTP

    /**
     * SMTP and LMTP alike (RFC 3207): greets, reads the client's {@code hello} (EHLO, LHLO),
     * answers it with {@code offer} (which offers STARTTLS), reads STARTTLS, writes the
     * go-ahead and {@code injected} in one write, does the handshake and reads the hello
     * again inside TLS (RFC 3207 §4.2). The connection inside TLS.
     */
    private static RawClient startTlsAfterHello(RawClient peer, String greeting, String hello, String offer,
                                                String injected) throws Exception {
        peer.line(greeting);
        assertTrue(peer.readLine().startsWith(hello + " "));
        peer.transcript(offer + "S: STARTTLS\n");
        peer.send("220 2.0.0 go ahead\r\n" + injected);
        RawClient tls = secure(peer);
        assertTrue(tls.readLine().startsWith(hello + " "), "RFC 3207 §4.2: " + hello + " again inside TLS");
        return tls;
    }

    static void smtpBackend(RawClient peer) throws Exception {
        RawClient tls = startTlsAfterHello(peer, "220 fake ESMTP", "EHLO", """
                C: 250-fake
                C: 250-STARTTLS
                C: 250 AUTH PLAIN
                """, "250-fake\r\n250 AUTH PLAIN\r\n235 2.7.0 injected: authenticated\r\n");
        tls.transcript("""
                C: 250-fake
                C: 250 AUTH PLAIN
                S: AUTH PLAIN %s
                C: 535 5.7.8 refused inside TLS
                """.formatted(Sasl.plain("bob", "smtp-Inj4Tls")));
    }

    @Test
    void smtpInjectedAuthAnswerAfterStartTlsIsDiscarded() throws Exception {
        int before = backends.play("smtp", """
                C: AUTH PLAIN %s
                S: 535 5.7.8 refused inside TLS
                C: QUIT
                S: 221...
                """.formatted(Sasl.plain("bob", "smtp-Inj4Tls")));
        backendDid("smtp", before + 1);
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
        int before = backends.play("sieve", """
                C: AUTHENTICATE "PLAIN" "%s"
                S: NO "refused inside TLS"
                C: LOGOUT
                S: OK...
                """.formatted(Sasl.plain("bob", "sieve-Inj4Tls")));
        backendDid("sieve", before + 1);
    }

    // ---------------------------------------------------------------- LMTP

    static void lmtpBackend(RawClient peer) throws Exception {
        RawClient tls = startTlsAfterHello(peer, "220 fake LMTP", "LHLO", """
                C: 250-fake
                C: 250 STARTTLS
                """, "250-fake\r\n250 PIPELINING\r\n250 2.1.0 injected: sender ok\r\n250 2.1.5 injected: recipient ok\r\n");
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
        int before = backends.play("lmtp", """
                C: RCPT TO:<bob@example.test>
                S: 550 5.1.1 refused inside TLS
                C: QUIT
                S: 221...
                """);
        backendDid("lmtp", before + 1);
    }
}
