package mailproxy.tlsproxy;

import static mailproxy.tlsproxy.TlsClients.upgrade;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS (IMAP RFC 9051 §6.2.1, SMTP RFC 3207) and STLS (POP3 RFC 2595 §4) with
 * starttls = on and only: what is offered before and after, no login before TLS with only,
 * fresh capabilities after the upgrade, and the CVE-2014-3556 check for each protocol: a
 * command pipelined in plaintext behind STARTTLS is thrown away, never executed.
 */
@Timeout(30)
class StartTlsTest {
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
        String tls = certs.listenerTls();
        proxy = TestProxy.start("""
                mailproxy {
                  limits { timeout = 10s }
                  backends { store { host = "127.0.0.1", imap { port = %d }, pop3 { port = %d },
                                     smtp { port = %d, auth = plain } } }
                  routers { r { type = static, default = store } }
                  default-router = r
                  listeners = [
                    { name = imap-on,   protocol = imap, listen = "127.0.0.1:0", starttls = on,   %s }
                    { name = imap-only, protocol = imap, listen = "127.0.0.1:0", starttls = only, %s }
                    { name = imap-off,  protocol = imap, listen = "127.0.0.1:0" }
                    { name = pop3-on,   protocol = pop3, listen = "127.0.0.1:0", starttls = on,   %s }
                    { name = pop3-only, protocol = pop3, listen = "127.0.0.1:0", starttls = only, %s }
                    { name = smtp-on,   protocol = smtp, listen = "127.0.0.1:0", starttls = on,   %s }
                    { name = smtp-only, protocol = smtp, listen = "127.0.0.1:0", starttls = only, %s }
                  ]
                }
                """.formatted(imapBackend.port(), pop3Backend.port(), smtpBackend.port(), tls, tls, tls, tls, tls, tls));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        for (ScriptedServer s : new ScriptedServer[] {imapBackend, pop3Backend, smtpBackend}) if (s != null) s.close();
    }

    @BeforeEach
    void clear() {
        recorder.logins.clear();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads an SMTP reply, all lines; the last one starts with "ddd ". */
    private static List<String> smtpReply(RawClient c) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String l = c.readLine();
            assertTrue(l != null, "closed in the middle of a reply: " + lines);
            lines.add(l);
            if (l.length() < 4 || l.charAt(3) == ' ') return lines;
        }
        throw new AssertionError("reply too long: " + lines);
    }

    private static List<String> pop3List(RawClient c) throws IOException {
        List<String> lines = new ArrayList<>();
        c.expect("+OK");
        for (int i = 0; i < 50; i++) {
            String l = c.readLine();
            if (l.equals(".")) return lines;
            lines.add(l);
        }
        throw new AssertionError("list too long: " + lines);
    }

    // ---------------------------------------------------------------- IMAP

    @Test
    void imapOnOffersStartTlsAndAfterItFreshCapabilitiesAndALogin() throws Exception {
        int backendConnections = imapBackend.accepted();
        try (RawClient plain = RawClient.connect(proxy.port("imap-on"))) {
            String greeting = plain.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains(" STARTTLS") && greeting.contains("AUTH=PLAIN"), greeting);
            assertFalse(greeting.contains("LOGINDISABLED"), greeting);
            plain.line("a STARTTLS");
            plain.expect("a OK");
            RawClient c = upgrade(plain, certs.clientContext());
            assertEquals("TLSv1.3", TlsClients.ssl(c).getSession().getProtocol());
            c.line("b CAPABILITY");
            String caps = c.expect("* CAPABILITY ");
            assertFalse(caps.contains("STARTTLS"), "no STARTTLS once in TLS: " + caps);
            assertTrue(caps.contains("AUTH=PLAIN") && caps.contains("AUTH=LOGIN"), caps);
            c.expect("b OK");
            c.line("c STARTTLS");
            c.expect("c BAD");
            c.line("d LOGIN bob \"s3cret pw\"");
            c.expect("d OK [CAPABILITY IMAP4rev1 IDLE] fake logged in");
            assertEquals("bob s3cret pw", recorder.nextLogin());
            c.line("e NOOP");
            c.expect("e OK NOOP completed");
            c.line("f LOGOUT");
            c.expect("* BYE");
            c.expect("f OK");
            assertTrue(c.closedByPeer());
        }
        assertEquals(backendConnections + 1, imapBackend.accepted());
    }

    @Test
    void imapOnStillAllowsAPlaintextLogin() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("imap-on"))) {
            c.expect("* OK");
            c.line("a LOGIN bob secret");
            c.expect("a OK");
            assertEquals("bob secret", recorder.nextLogin());
            c.line("b LOGOUT");
            c.expect("* BYE");
        }
    }

    @Test
    void imapOnlyRefusesLoginBeforeTls() throws Exception {
        int before = imapBackend.accepted();
        try (RawClient plain = RawClient.connect(proxy.port("imap-only"))) {
            String greeting = plain.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains(" STARTTLS") && greeting.contains(" LOGINDISABLED"), greeting);
            assertFalse(greeting.contains("AUTH="), greeting);
            plain.line("a CAPABILITY");
            String caps = plain.expect("* CAPABILITY ");
            assertTrue(caps.contains("LOGINDISABLED") && !caps.contains("AUTH="), caps);
            plain.expect("a OK");
            plain.line("b LOGIN bob secret");
            plain.expect("b NO [PRIVACYREQUIRED]");
            plain.line("c AUTHENTICATE PLAIN " + b64("\0bob\0secret"));
            plain.expect("c NO [PRIVACYREQUIRED]");
            plain.line("d STARTTLS");
            plain.expect("d OK");
            RawClient c = upgrade(plain, certs.clientContext());
            c.line("e CAPABILITY");
            caps = c.expect("* CAPABILITY ");
            assertTrue(caps.contains("AUTH=PLAIN") && !caps.contains("LOGINDISABLED") && !caps.contains("STARTTLS"), caps);
            c.expect("e OK");
            c.line("f AUTHENTICATE PLAIN " + b64("\0bob\0tls only"));
            c.expect("f OK");
            assertEquals("bob tls only", recorder.nextLogin());
            c.line("g LOGOUT");
            c.expect("* BYE");
        }
        assertEquals(before + 1, imapBackend.accepted());
    }

    @Test
    void imapWithoutStartTlsSaysSo() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("imap-off"))) {
            assertFalse(c.expect("* OK").contains("STARTTLS"));
            c.line("a STARTTLS");
            c.expect("a BAD");
        }
    }

    /** CVE-2014-3556: "b LOGIN" sent in the same packet as STARTTLS must never run. */
    @Test
    void imapCommandPipelinedBehindStartTlsIsDiscarded() throws Exception {
        int before = imapBackend.accepted();
        try (RawClient plain = RawClient.connect(proxy.port("imap-on"))) {
            plain.expect("* OK");
            plain.send("a STARTTLS\r\nb LOGIN bob injected\r\n");
            plain.expect("a OK");
            RawClient c = upgrade(plain, certs.clientContext());
            c.line("c CAPABILITY");
            // the first thing in TLS answers c: nothing answers (or ran) b
            c.expect("* CAPABILITY ");
            c.expect("c OK");
            c.line("d NOOP");
            c.expect("d OK");
        }
        assertEquals(before, imapBackend.accepted(), "the injected LOGIN reached a backend");
        assertTrue(recorder.logins.isEmpty(), recorder.logins.toString());
    }

    // ---------------------------------------------------------------- POP3

    @Test
    void pop3OnOffersStlsAndAfterItFreshCapabilitiesAndALogin() throws Exception {
        try (RawClient plain = RawClient.connect(proxy.port("pop3-on"))) {
            plain.expect("+OK");
            plain.line("CAPA");
            List<String> caps = pop3List(plain);
            assertTrue(caps.contains("STLS") && caps.contains("USER") && caps.contains("SASL PLAIN LOGIN"), caps.toString());
            plain.line("STLS");
            plain.expect("+OK");
            RawClient c = upgrade(plain, certs.clientContext());
            c.line("CAPA");
            caps = pop3List(c);
            assertTrue(!caps.contains("STLS") && caps.contains("USER") && caps.contains("SASL PLAIN LOGIN"), caps.toString());
            c.line("STLS");
            c.expect("-ERR");
            c.line("USER bob");
            c.expect("+OK");
            c.line("PASS pop secret");
            c.expect("+OK fake logged in");
            assertEquals("bob pop secret", recorder.nextLogin());
            c.line("STAT");
            c.expect("+OK STAT done");
            c.line("QUIT");
            c.expect("+OK fake signing off");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void pop3OnlyRefusesLoginBeforeStls() throws Exception {
        int before = pop3Backend.accepted();
        try (RawClient plain = RawClient.connect(proxy.port("pop3-only"))) {
            plain.expect("+OK");
            plain.line("CAPA");
            List<String> caps = pop3List(plain);
            assertTrue(caps.contains("STLS"), caps.toString());
            assertTrue(caps.stream().noneMatch(l -> l.equals("USER") || l.startsWith("SASL")), caps.toString());
            plain.line("USER bob");
            plain.expect("-ERR");
            plain.line("PASS secret");
            plain.expect("-ERR");
            plain.line("AUTH PLAIN " + b64("\0bob\0secret"));
            plain.expect("-ERR");
            plain.line("STLS");
            plain.expect("+OK");
            RawClient c = upgrade(plain, certs.clientContext());
            c.line("CAPA");
            caps = pop3List(c);
            assertTrue(caps.contains("USER") && caps.contains("SASL PLAIN LOGIN") && !caps.contains("STLS"), caps.toString());
            c.line("AUTH PLAIN " + b64("\0bob\0after stls"));
            c.expect("+OK fake logged in");
            assertEquals("bob after stls", recorder.nextLogin());
            c.line("QUIT");
            c.expect("+OK");
        }
        assertEquals(before + 1, pop3Backend.accepted());
    }

    @Test
    void pop3CommandsPipelinedBehindStlsAreDiscarded() throws Exception {
        int before = pop3Backend.accepted();
        try (RawClient plain = RawClient.connect(proxy.port("pop3-on"))) {
            plain.expect("+OK");
            plain.send("STLS\r\nUSER bob\r\nPASS injected\r\n");
            plain.expect("+OK Begin TLS");
            RawClient c = upgrade(plain, certs.clientContext());
            c.line("NOOP");
            c.expect("+OK"); // NOOP's, not USER's: nothing else is queued ahead of it
            c.line("PASS again");
            c.expect("-ERR USER first"); // the injected USER left no trace
        }
        assertEquals(before, pop3Backend.accepted(), "the injected login reached a backend");
        assertTrue(recorder.logins.isEmpty(), recorder.logins.toString());
    }

    // ---------------------------------------------------------------- SMTP

    @Test
    void smtpOnOffersStartTlsAndAfterItFreshEhloAndAuth() throws Exception {
        try (RawClient plain = RawClient.connect(proxy.port("smtp-on"))) {
            plain.expect("220 ");
            plain.line("EHLO client.example");
            List<String> ehlo = smtpReply(plain);
            assertTrue(ehlo.contains("250-STARTTLS") || ehlo.contains("250 STARTTLS"), ehlo.toString());
            assertTrue(ehlo.stream().anyMatch(l -> l.substring(4).equals("AUTH PLAIN LOGIN")), ehlo.toString());
            plain.line("STARTTLS");
            plain.expect("220 2.0.0");
            RawClient c = upgrade(plain, certs.clientContext());
            // RFC 3207 §4.2: the EHLO from before TLS is forgotten
            c.line("AUTH PLAIN " + b64("\0bob\0x"));
            c.expect("503");
            c.line("EHLO client.example");
            ehlo = smtpReply(c);
            assertTrue(ehlo.stream().noneMatch(l -> l.contains("STARTTLS")), ehlo.toString());
            assertTrue(ehlo.stream().anyMatch(l -> l.substring(4).equals("AUTH PLAIN LOGIN")), ehlo.toString());
            c.line("STARTTLS");
            c.expect("503");
            c.line("AUTH PLAIN " + b64("\0bob\0smtp pw"));
            c.expect("235");
            assertEquals("bob smtp pw", recorder.nextLogin());
            c.line("MAIL FROM:<bob@example.test>");
            c.expect("250 2.0.0 fake ok: MAIL FROM:<bob@example.test>");
            c.line("QUIT");
            c.expect("221");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void smtpOnlyRefusesAuthBeforeStartTls() throws Exception {
        int before = smtpBackend.accepted();
        try (RawClient plain = RawClient.connect(proxy.port("smtp-only"))) {
            plain.expect("220 ");
            plain.line("EHLO client.example");
            List<String> ehlo = smtpReply(plain);
            assertTrue(ehlo.stream().anyMatch(l -> l.endsWith("STARTTLS")), ehlo.toString());
            assertTrue(ehlo.stream().noneMatch(l -> l.contains("AUTH")), ehlo.toString());
            plain.line("AUTH PLAIN " + b64("\0bob\0secret"));
            assertEquals("530 5.7.0 Must issue a STARTTLS command first", plain.readLine());
            plain.line("MAIL FROM:<bob@example.test>");
            assertEquals("530 5.7.0 Must issue a STARTTLS command first", plain.readLine());
            plain.line("STARTTLS");
            plain.expect("220");
            RawClient c = upgrade(plain, certs.clientContext());
            c.line("EHLO client.example");
            ehlo = smtpReply(c);
            assertTrue(ehlo.stream().anyMatch(l -> l.substring(4).equals("AUTH PLAIN LOGIN")), ehlo.toString());
            c.line("AUTH LOGIN");
            c.expect("334 VXNlcm5hbWU6");
            c.line(b64("bob"));
            c.expect("334 UGFzc3dvcmQ6");
            c.line(b64("login pw"));
            c.expect("235");
            assertEquals("bob login pw", recorder.nextLogin());
            c.line("QUIT");
            c.expect("221");
        }
        assertEquals(before + 1, smtpBackend.accepted());
    }

    @Test
    void smtpCommandsPipelinedBehindStartTlsAreDiscarded() throws Exception {
        int before = smtpBackend.accepted();
        try (RawClient plain = RawClient.connect(proxy.port("smtp-on"))) {
            plain.expect("220 ");
            plain.line("EHLO client.example");
            smtpReply(plain);
            plain.send("STARTTLS\r\nAUTH PLAIN " + b64("\0bob\0injected") + "\r\nMAIL FROM:<evil@example.test>\r\n");
            plain.expect("220 2.0.0");
            RawClient c = upgrade(plain, certs.clientContext());
            c.line("EHLO client.example");
            List<String> ehlo = smtpReply(c); // EHLO's answer comes first: nothing ran before it
            assertTrue(ehlo.get(0).startsWith("250-"), ehlo.toString());
            c.line("NOOP");
            c.expect("250");
            c.line("QUIT");
            c.expect("221");
        }
        assertEquals(before, smtpBackend.accepted(), "the injected AUTH reached a backend");
        assertTrue(recorder.logins.isEmpty(), recorder.logins.toString());
    }
}
