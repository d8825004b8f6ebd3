package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer;
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
    /** Every line a backend read after it refused STARTTLS: what went out in plaintext. */
    static final List<String> afterRefusal = new CopyOnWriteArrayList<>();
    static StartTlsBackends backends;

    @BeforeAll
    static void start() throws Exception {
        backends = StartTlsBackends.start(
                refusing("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] fake ready\r\n", "mp1 NO TLS not available\r\n"),
                refusing("+OK fake ready\r\n", "-ERR TLS not available\r\n"),
                refusing("220 fake ESMTP\r\n", "454 4.7.0 TLS not available due to local problem\r\n"),
                refusing("\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN\"\r\n\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n",
                        "NO \"TLS not available\"\r\n"),
                refusing("220 fake LMTP\r\n", "454 4.7.0 TLS not available due to local problem\r\n"));
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
        if (backends != null) backends.close();
    }

    @BeforeEach
    void clear() {
        afterRefusal.clear();
    }

    /** The backend was asked for TLS, refused, and heard nothing more before the proxy hung up. */
    private static void nothingInPlaintext(String protocol, int before) {
        ScriptedServer backend = backends.backend(protocol);
        assertEquals(before + 1, backend.accepted(), "connections to the backend");
        assertEquals(List.of(), backend.failures(), "the backend's script failed");
        assertEquals(List.of(), afterRefusal, "sent to the backend after it refused STARTTLS");
    }

    @Test
    void imapLoginIsATemporaryFailure() throws Exception {
        int before = backends.play("imap", """
                S: * OK...
                C: a LOGIN bob imap-Inj4Tls
                S: a NO [UNAVAILABLE]...
                S: * BYE...
                S closes
                """);
        nothingInPlaintext("imap", before);
    }

    @Test
    void pop3LoginIsATemporaryFailure() throws Exception {
        int before = backends.play("pop3", """
                S: +OK...
                C: USER bob
                S: +OK...
                C: PASS pop3-Inj4Tls
                S: -ERR [SYS/TEMP]...
                S closes
                """);
        nothingInPlaintext("pop3", before);
    }

    @Test
    void smtpAuthIsATemporaryFailure() throws Exception {
        int before = backends.play("smtp", """
                C: AUTH PLAIN %s
                S: 421 4.3.0...
                S closes
                """.formatted(Sasl.plain("bob", "smtp-Inj4Tls")));
        nothingInPlaintext("smtp", before);
    }

    @Test
    void sieveLoginIsATemporaryFailure() throws Exception {
        int before = backends.play("sieve", """
                C: AUTHENTICATE "PLAIN" "%s"
                S: BYE (TRYLATER)...
                S closes
                """.formatted(Sasl.plain("bob", "sieve-Inj4Tls")));
        nothingInPlaintext("sieve", before);
    }

    /** LMTP: no MAIL, RCPT or message in plaintext; the recipient is deferred (4xx), the mail stays queued. */
    @Test
    void lmtpRecipientIsDeferred() throws Exception {
        int before = backends.play("lmtp", """
                C: RCPT TO:<bob@example.test>
                S: 451 4.4.1...
                C: QUIT
                S: 221...
                """);
        nothingInPlaintext("lmtp", before);
    }
}
