package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * STARTTLS stripping on the backend hop: whoever sits between the proxy and a backend
 * configured with {@code tls = starttls} answers the proxy's STARTTLS (STLS) with a
 * refusal, hoping for a fallback to plaintext. There is none: the login is the protocol's
 * temporary failure for the client, and the backend hears nothing after its refusal, the
 * credentials least of all (docs/SECURITY.md, "Backends and pools"). The same for every
 * protocol the proxy speaks to a backend.
 */
@Timeout(30)
class BackendStartTlsRefusedTest {
    static final SiteCertificates certs = SiteCertificates.shared();
    /** Every line a backend read after it refused STARTTLS: what went out in plaintext. */
    static final List<String> afterRefusal = new CopyOnWriteArrayList<>();
    static ScriptedServer imap;
    static ScriptedServer pop3;
    static ScriptedServer smtp;
    static ScriptedServer sieve;
    static ScriptedServer lmtp;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        imap = refusing("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] fake ready\r\n", "mp1 NO TLS not available\r\n");
        pop3 = refusing("+OK fake ready\r\n", "-ERR TLS not available\r\n");
        smtp = refusing("220 fake ESMTP\r\n", "454 4.7.0 TLS not available due to local problem\r\n");
        sieve = refusing("\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN\"\r\n\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n",
                "NO \"TLS not available\"\r\n");
        lmtp = refusing("220 fake LMTP\r\n", "454 4.7.0 TLS not available due to local problem\r\n");
        String tls = "host = \"127.0.0.1\", tls-ca = \"" + certs.caCert + "\", tls-server-name = localhost";
        proxy = TestProxy.start("""
                mailproxy {
                  backends {
                    b { %s, imap { port = %d, tls = starttls }, pop3 { port = %d, tls = starttls },
                        smtp { port = %d, tls = starttls, auth = plain }, sieve { port = %d, tls = starttls },
                        lmtp { port = %d, tls = starttls } }
                  }
                  routers { r { type = static, default = b } }
                  default-router = r
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0" }
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0" }
                    { name = smtp, protocol = smtp, listen = "127.0.0.1:0" }
                    { name = sieve, protocol = sieve, listen = "127.0.0.1:0" }
                    { name = lmtp, protocol = lmtp, listen = "127.0.0.1:0" }
                  ]
                }
                """.formatted(tls, imap.port(), pop3.port(), smtp.port(), sieve.port(), lmtp.port()));
    }

    /**
     * A backend that greets, answers EHLO/LHLO offering STARTTLS, refuses STARTTLS (STLS),
     * and keeps any other line it reads in {@link #afterRefusal} (then hangs up).
     */
    static ScriptedServer refusing(String greeting, String refusal) throws Exception {
        return new ScriptedServer(peer -> {
            peer.send(greeting);
            for (String l = peer.readLine(); l != null; l = peer.readLine()) {
                String verb = l.replaceFirst("^mp\\d+ ", "").toUpperCase(Locale.ROOT);
                if (verb.startsWith("EHLO ") || verb.startsWith("LHLO ")) {
                    peer.send("250-fake\r\n250 STARTTLS\r\n");
                } else if (verb.equals("STARTTLS") || verb.equals("STLS")) {
                    peer.send(refusal);
                } else {
                    afterRefusal.add(l);
                    return; // and hangs up: the client's answer is a failure either way; this list tells
                }
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        for (ScriptedServer s : new ScriptedServer[] {imap, pop3, smtp, sieve, lmtp}) if (s != null) s.close();
    }

    @BeforeEach
    void clear() {
        afterRefusal.clear();
    }

    /** The backend was asked for TLS, refused, and heard nothing more before the proxy hung up. */
    private static void nothingInPlaintext(ScriptedServer backend, int before) {
        assertEquals(before + 1, backend.accepted(), "connections to the backend");
        assertEquals(List.of(), backend.failures(), "the backend's script failed");
        assertEquals(List.of(), afterRefusal, "sent to the backend after it refused STARTTLS");
    }

    @Test
    void imapLoginIsATemporaryFailure() throws Exception {
        int before = imap.accepted();
        try (RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.transcript("""
                    S: * OK...
                    C: a LOGIN bob imap-Inj4Tls
                    S: a NO [UNAVAILABLE]...
                    S: * BYE...
                    S closes
                    """);
        }
        nothingInPlaintext(imap, before);
    }

    @Test
    void pop3LoginIsATemporaryFailure() throws Exception {
        int before = pop3.accepted();
        try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
            c.transcript("""
                    S: +OK...
                    C: USER bob
                    S: +OK...
                    C: PASS pop3-Inj4Tls
                    S: -ERR [SYS/TEMP]...
                    S closes
                    """);
        }
        nothingInPlaintext(pop3, before);
    }

    @Test
    void smtpAuthIsATemporaryFailure() throws Exception {
        int before = smtp.accepted();
        try (RawClient c = RawClient.connect(proxy.port("smtp"))) {
            c.expect("220 ");
            c.line("EHLO client.example");
            c.smtpReply();
            c.transcript("""
                    C: AUTH PLAIN %s
                    S: 421 4.3.0...
                    S closes
                    """.formatted(Sasl.plain("bob", "smtp-Inj4Tls")));
        }
        nothingInPlaintext(smtp, before);
    }

    @Test
    void sieveLoginIsATemporaryFailure() throws Exception {
        int before = sieve.accepted();
        try (RawClient c = RawClient.connect(proxy.port("sieve"))) {
            for (String l = c.readLine(); !l.startsWith("OK"); l = c.readLine()) {
                // the proxy's capabilities
            }
            c.transcript("""
                    C: AUTHENTICATE "PLAIN" "%s"
                    S: BYE (TRYLATER)...
                    S closes
                    """.formatted(Sasl.plain("bob", "sieve-Inj4Tls")));
        }
        nothingInPlaintext(sieve, before);
    }

    /** LMTP: no MAIL, RCPT or message in plaintext; the recipient is deferred (4xx), the mail stays queued. */
    @Test
    void lmtpRecipientIsDeferred() throws Exception {
        int before = lmtp.accepted();
        try (RawClient c = RawClient.connect(proxy.port("lmtp"))) {
            c.expect("220 ");
            c.line("LHLO mta.example.test");
            c.smtpReply();
            c.transcript("""
                    C: MAIL FROM:<sender@example.test>
                    S: 250...
                    C: RCPT TO:<bob@example.test>
                    S: 451 4.4.1...
                    C: QUIT
                    S: 221...
                    """);
        }
        nothingInPlaintext(lmtp, before);
    }
}
