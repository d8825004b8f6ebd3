package mailproxy.tlsproxy;

import static mailproxy.testing.Sasl.b64;
import static mailproxy.tlsproxy.TlsClients.upgrade;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer.Script;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * STARTTLS (IMAP RFC 9051 §6.2.1, SMTP RFC 3207) and STLS (POP3 RFC 2595 §4) with
 * starttls = on and only: what is offered before and after, no login before TLS with only,
 * fresh capabilities after the upgrade, and the CVE-2014-3556 check for each protocol
 * (ManageSieve's STARTTLS, RFC 5804 §2.2, and LMTP's too): a command pipelined in plaintext behind
 * STARTTLS is thrown away, never executed.
 */
@Timeout(30)
class StartTlsTest {
    @RegisterExtension
    static final TlsFixture f = TlsFixture.withFakeBackends(certs -> {
        String tls = certs.listenerTls();
        return """
                limits { timeout = 10s }
                listeners = [
                %s%s  { name = imap-off, protocol = imap, listen = "127.0.0.1:0" }
                  { name = sieve-on, protocol = sieve, listen = "127.0.0.1:0", starttls = on, %s }
                  { name = lmtp-on, protocol = lmtp, listen = "127.0.0.1:0", starttls = on, %s }
                ]
                """.formatted(TlsFixture.perProtocol("%s-on", "starttls = on, " + tls),
                TlsFixture.perProtocol("%s-only", "starttls = only, " + tls), tls, tls);
    });

    @BeforeEach
    void clear() {
        f.clearLogins();
    }

    private static SSLContext client() {
        return f.certs.clientContext();
    }

    // ---------------------------------------------------------------- IMAP

    @Test
    void imapOnOffersStartTlsAndAfterItFreshCapabilitiesAndALogin() throws Exception {
        int backendConnections = f.imap.accepted();
        try (RawClient plain = RawClient.connect(f.port("imap-on"))) {
            String greeting = plain.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains(" STARTTLS") && greeting.contains("AUTH=PLAIN"), greeting);
            assertFalse(greeting.contains("LOGINDISABLED"), greeting);
            plain.transcript("""
                    C: a STARTTLS
                    S: a OK...
                    """);
            RawClient c = upgrade(plain, client());
            assertEquals("TLSv1.3", TlsClients.ssl(c).getSession().getProtocol());
            c.line("b CAPABILITY");
            String caps = c.expect("* CAPABILITY ");
            assertFalse(caps.contains("STARTTLS"), "no STARTTLS once in TLS: " + caps);
            assertTrue(caps.contains("AUTH=PLAIN") && caps.contains("AUTH=LOGIN"), caps);
            c.transcript("""
                    S: b OK...
                    C: c STARTTLS
                    S: c BAD...
                    C: d LOGIN bob "s3cret pw"
                    S: d OK [CAPABILITY IMAP4rev1 IDLE] fake logged in...
                    C: e NOOP
                    S: e OK NOOP completed...
                    C: f LOGOUT
                    S: * BYE...
                    S: f OK...
                    S closes
                    """);
            assertEquals("bob s3cret pw", f.imap.nextLogin());
        }
        assertEquals(backendConnections + 1, f.imap.accepted());
    }

    @Test
    void imapOnStillAllowsAPlaintextLogin() throws Exception {
        try (RawClient c = RawClient.connect(f.port("imap-on"))) {
            c.transcript("""
                    S: * OK...
                    C: a LOGIN bob secret
                    S: a OK...
                    C: b LOGOUT
                    S: * BYE...
                    """);
            assertEquals("bob secret", f.imap.nextLogin());
        }
    }

    @Test
    void imapOnlyRefusesLoginBeforeTls() throws Exception {
        int before = f.imap.accepted();
        try (RawClient plain = RawClient.connect(f.port("imap-only"))) {
            String greeting = plain.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains(" STARTTLS") && greeting.contains(" LOGINDISABLED"), greeting);
            assertFalse(greeting.contains("AUTH="), greeting);
            plain.line("a CAPABILITY");
            String caps = plain.expect("* CAPABILITY ");
            assertTrue(caps.contains("LOGINDISABLED") && !caps.contains("AUTH="), caps);
            plain.transcript("""
                    S: a OK...
                    C: b LOGIN bob secret
                    S: b NO [PRIVACYREQUIRED]...
                    C: c AUTHENTICATE PLAIN %s
                    S: c NO [PRIVACYREQUIRED]...
                    C: d STARTTLS
                    S: d OK...
                    """.formatted(Sasl.plain("bob", "secret")));
            RawClient c = upgrade(plain, client());
            c.line("e CAPABILITY");
            caps = c.expect("* CAPABILITY ");
            assertTrue(caps.contains("AUTH=PLAIN") && !caps.contains("LOGINDISABLED") && !caps.contains("STARTTLS"), caps);
            c.transcript("""
                    S: e OK...
                    C: f AUTHENTICATE PLAIN %s
                    S: f OK...
                    C: g LOGOUT
                    S: * BYE...
                    """.formatted(Sasl.plain("bob", "tls only")));
            assertEquals("bob tls only", f.imap.nextLogin());
        }
        assertEquals(before + 1, f.imap.accepted());
    }

    @Test
    void imapWithoutStartTlsSaysSo() throws Exception {
        try (RawClient c = RawClient.connect(f.port("imap-off"))) {
            assertFalse(c.expect("* OK").contains("STARTTLS"));
            c.line("a STARTTLS");
            c.expect("a BAD");
        }
    }

    // ---------------------------------------------------------------- POP3

    @Test
    void pop3OnOffersStlsAndAfterItFreshCapabilitiesAndALogin() throws Exception {
        try (RawClient plain = RawClient.connect(f.port("pop3-on"))) {
            plain.expect("+OK");
            plain.line("CAPA");
            List<String> caps = plain.pop3List();
            assertTrue(caps.contains("STLS") && caps.contains("USER") && caps.contains("SASL PLAIN LOGIN"), caps.toString());
            plain.line("STLS");
            plain.expect("+OK");
            RawClient c = upgrade(plain, client());
            c.line("CAPA");
            caps = c.pop3List();
            assertTrue(!caps.contains("STLS") && caps.contains("USER") && caps.contains("SASL PLAIN LOGIN"), caps.toString());
            c.transcript("""
                    C: STLS
                    S: -ERR...
                    C: USER bob
                    S: +OK...
                    C: PASS pop secret
                    S: +OK Logged in.
                    C: STAT
                    S: +OK echo STAT
                    C: QUIT
                    S: +OK Logging out.
                    S closes
                    """);
            assertEquals("bob pop secret", f.pop3.nextLogin());
        }
    }

    @Test
    void pop3OnlyRefusesLoginBeforeStls() throws Exception {
        int before = f.pop3.accepted();
        try (RawClient plain = RawClient.connect(f.port("pop3-only"))) {
            plain.expect("+OK");
            plain.line("CAPA");
            List<String> caps = plain.pop3List();
            assertTrue(caps.contains("STLS"), caps.toString());
            assertTrue(caps.stream().noneMatch(l -> l.equals("USER") || l.startsWith("SASL")), caps.toString());
            plain.transcript("""
                    C: USER bob
                    S: -ERR...
                    C: PASS secret
                    S: -ERR...
                    C: AUTH PLAIN %s
                    S: -ERR...
                    C: STLS
                    S: +OK...
                    """.formatted(Sasl.plain("bob", "secret")));
            RawClient c = upgrade(plain, client());
            c.line("CAPA");
            caps = c.pop3List();
            assertTrue(caps.contains("USER") && caps.contains("SASL PLAIN LOGIN") && !caps.contains("STLS"), caps.toString());
            c.transcript("""
                    C: AUTH PLAIN %s
                    S: +OK Logged in.
                    C: QUIT
                    S: +OK...
                    """.formatted(Sasl.plain("bob", "after stls")));
            assertEquals("bob after stls", f.pop3.nextLogin());
        }
        assertEquals(before + 1, f.pop3.accepted());
    }

    // ---------------------------------------------------------------- SMTP

    /** The EHLO reply offers AUTH PLAIN LOGIN. */
    private static boolean offersAuth(List<String> ehlo) {
        return ehlo.stream().anyMatch(l -> l.substring(4).equals("AUTH PLAIN LOGIN"));
    }

    @Test
    void smtpOnOffersStartTlsAndAfterItFreshEhloAndAuth() throws Exception {
        try (RawClient plain = RawClient.connect(f.port("smtp-on"))) {
            plain.expect("220 ");
            plain.line("EHLO client.example");
            List<String> ehlo = plain.smtpReply();
            assertTrue(ehlo.contains("250-STARTTLS") || ehlo.contains("250 STARTTLS"), ehlo.toString());
            assertTrue(offersAuth(ehlo), ehlo.toString());
            plain.line("STARTTLS");
            plain.expect("220 2.0.0");
            RawClient c = upgrade(plain, client());
            // RFC 3207 §4.2: the EHLO from before TLS is forgotten
            c.line("AUTH PLAIN " + Sasl.plain("bob", "x"));
            c.expect("503");
            c.line("EHLO client.example");
            ehlo = c.smtpReply();
            assertTrue(ehlo.stream().noneMatch(l -> l.contains("STARTTLS")), ehlo.toString());
            assertTrue(offersAuth(ehlo), ehlo.toString());
            c.transcript("""
                    C: STARTTLS
                    S: 503...
                    C: AUTH PLAIN %s
                    S: 235...
                    C: MAIL FROM:<bob@example.test>
                    S: 250 2.1.0 Ok
                    C: QUIT
                    S: 221...
                    S closes
                    """.formatted(Sasl.plain("bob", "smtp pw")));
            assertEquals("bob smtp pw", f.smtp.nextLogin());
            assertTrue(f.smtp.received().contains("MAIL FROM:<bob@example.test>"), f.smtp.received().toString());
        }
    }

    @Test
    void smtpOnlyRefusesAuthBeforeStartTls() throws Exception {
        int before = f.smtp.accepted();
        try (RawClient plain = RawClient.connect(f.port("smtp-only"))) {
            plain.expect("220 ");
            plain.line("EHLO client.example");
            List<String> ehlo = plain.smtpReply();
            assertTrue(ehlo.stream().anyMatch(l -> l.endsWith("STARTTLS")), ehlo.toString());
            assertTrue(ehlo.stream().noneMatch(l -> l.contains("AUTH")), ehlo.toString());
            plain.transcript("""
                    C: AUTH PLAIN %s
                    S: 530 5.7.0 Must issue a STARTTLS command first
                    C: MAIL FROM:<bob@example.test>
                    S: 530 5.7.0 Must issue a STARTTLS command first
                    C: STARTTLS
                    S: 220...
                    """.formatted(Sasl.plain("bob", "secret")));
            RawClient c = upgrade(plain, client());
            c.line("EHLO client.example");
            ehlo = c.smtpReply();
            assertTrue(offersAuth(ehlo), ehlo.toString());
            c.transcript(Sasl.smtpAuthLogin(b64("bob"), b64("login pw")) + """
                    C: QUIT
                    S: 221...
                    """);
            assertEquals("bob login pw", f.smtp.nextLogin());
        }
        assertEquals(before + 1, f.smtp.accepted());
    }

    // ---------------------------------------------------------------- CVE-2014-3556, each protocol

    /**
     * Per protocol: the plaintext dialogue up to STARTTLS, what is pipelined in the same
     * packet as STARTTLS (the injection), the go-ahead, and the first exchange in TLS, which
     * shows that nothing of the injection is answered (or ran).
     */
    static Stream<Arguments> injections() {
        return Stream.of(
                arguments("imapCommandPipelinedBehindStartTlsIsDiscarded", "imap",
                        (Script) plain -> plain.expect("* OK"),
                        "a STARTTLS\r\nb LOGIN bob injected\r\n", "a OK",
                        (Script) c -> c.transcript("""
                                C: c CAPABILITY
                                # the first thing in TLS answers c: nothing answers (or ran) b
                                S: * CAPABILITY ...
                                S: c OK...
                                C: d NOOP
                                S: d OK...
                                """)),
                arguments("pop3CommandsPipelinedBehindStlsAreDiscarded", "pop3",
                        (Script) plain -> plain.expect("+OK"),
                        "STLS\r\nUSER bob\r\nPASS injected\r\n", "+OK Begin TLS",
                        (Script) c -> c.transcript("""
                                C: NOOP
                                # NOOP's, not USER's: nothing else is queued ahead of it
                                S: +OK...
                                C: PASS again
                                # the injected USER left no trace
                                S: -ERR USER first...
                                """)),
                arguments("smtpCommandsPipelinedBehindStartTlsAreDiscarded", "smtp",
                        (Script) plain -> {
                            plain.expect("220 ");
                            plain.line("EHLO client.example");
                            plain.smtpReply();
                        },
                        "STARTTLS\r\nAUTH PLAIN " + Sasl.plain("bob", "injected") + "\r\nMAIL FROM:<evil@example.test>\r\n",
                        "220 2.0.0",
                        (Script) c -> {
                            c.line("EHLO client.example");
                            List<String> ehlo = c.smtpReply(); // EHLO's answer comes first: nothing ran before it
                            assertTrue(ehlo.get(0).startsWith("250-"), ehlo.toString());
                            c.transcript("""
                                    C: NOOP
                                    S: 250...
                                    C: QUIT
                                    S: 221...
                                    """);
                        }),
                arguments("sieveAuthenticatePipelinedBehindStartTlsIsDiscarded", "sieve",
                        (Script) plain -> {
                            for (String l = plain.readLine(); !l.startsWith("OK"); l = plain.readLine()) {
                                // the capabilities
                            }
                        },
                        "STARTTLS\r\nAUTHENTICATE \"PLAIN\" \"" + Sasl.plain("bob", "injected") + "\"\r\n",
                        "OK \"Begin TLS",
                        (Script) c -> {
                            // RFC 5804 §2.2: the capabilities again, first thing in TLS
                            String l = c.readLine();
                            for (; l.startsWith("\""); l = c.readLine()) assertFalse(l.equals("\"STARTTLS\""), l);
                            assertEquals("OK \"TLS negotiation successful.\"", l);
                            c.transcript("""
                                    C: NOOP "probe"
                                    # NOOP's answer comes next: nothing answers (or ran) the AUTHENTICATE
                                    S: OK (TAG "probe") "Done"
                                    C: LOGOUT
                                    S: OK...
                                    """);
                        }),
                arguments("lmtpTransactionPipelinedBehindStartTlsIsDiscarded", "lmtp",
                        (Script) plain -> plain.expect("220 "),
                        "STARTTLS\r\nLHLO evil.example\r\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<bob@example.test>\r\n",
                        "220 2.0.0",
                        (Script) c -> c.transcript("""
                                C: MAIL FROM:<postmaster@example.test>
                                # this MAIL's answer comes first, and RFC 3207 §4.2 forgot the LHLO:
                                # the injected LHLO, MAIL and RCPT did not run
                                S: 503 5.5.1 Error: send LHLO first
                                C: QUIT
                                S: 221...
                                """)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("injections")
    void commandsPipelinedBehindStartTlsAreDiscarded(String name, String protocol, Script beforeTls, String injection,
            String goAhead, Script inTls) {
        assertAll(name, () -> { // a failure names its case
            int before = f.accepted(protocol);
            try (RawClient plain = RawClient.connect(f.port(protocol + "-on"))) {
                beforeTls.run(plain);
                plain.send(injection);
                plain.expect(goAhead);
                inTls.run(upgrade(plain, client()));
            }
            assertEquals(before, f.accepted(protocol), "the injection reached a backend");
            f.assertNoLogins();
        });
    }
}
