package mailproxy.tlsproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ManageSieve with starttls = only (RFC 5804 §2.2: capabilities again after TLS; no SASL
 * before it), token logins refused before TLS like passwords (IMAP too), and the
 * ManageSieve backend login with a token: the backend's own OAUTHBEARER as a literal
 * (a token is longer than a quoted string may be), its error challenge passed on.
 */
@Timeout(30)
class SieveAndOAuthStartTlsTest {
    static final String TOKEN = "t0k3n-" + "z".repeat(2000);
    @TempDir
    static Path dir;
    static SiteCertificates certs;
    static final List<String> backendLines = new CopyOnWriteArrayList<>();
    static ScriptedServer sieveBackend;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        certs = SiteCertificates.shared();
        sieveBackend = new ScriptedServer(peer -> {
            peer.send("\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN OAUTHBEARER\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n");
            String auth = peer.readLine();
            backendLines.add(auth);
            String response;
            if (auth.endsWith("+}")) {
                int n = Integer.parseInt(auth.substring(auth.lastIndexOf('{') + 1, auth.length() - 2));
                response = new String(peer.readBytes(n), StandardCharsets.ISO_8859_1);
                backendLines.add(response);
                peer.readLine();
            } else {
                response = auth.substring(auth.lastIndexOf(' ') + 2, auth.length() - 1);
            }
            String msg = new String(Base64.getDecoder().decode(response), StandardCharsets.ISO_8859_1);
            if (!msg.contains("Bearer " + TOKEN + "\u0001")) {
                peer.line("\"eyJzdGF0dXMiOiJiYWNrZW5kIn0=\""); // {"status":"backend"}
                backendLines.add(peer.readLine());
                peer.line("NO \"Invalid token\"");
                return;
            }
            peer.line("OK \"Logged in.\"");
            peer.readLine();
        });
        String tls = certs.listenerTls();
        proxy = TestProxy.start("""
                mailproxy {
                  backends { d { host = "127.0.0.1", sieve { port = %d }, imap { port = 1 } } }
                  routers { r { type = static, default = d } }
                  listener-defaults { auth = [plain, oauthbearer, xoauth2] }
                  listeners = [
                    { name = sieve, protocol = sieve, listen = "127.0.0.1:0", starttls = only, %s }
                    { name = imap, protocol = imap, listen = "127.0.0.1:0", starttls = only, %s }
                  ]
                }
                """.formatted(sieveBackend.port(), tls, tls));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (sieveBackend != null) sieveBackend.close();
    }

    @BeforeEach
    void clear() {
        backendLines.clear();
    }

    static String bearer(String token) {
        return Base64.getEncoder().encodeToString(("n,a=bob,\u0001auth=Bearer " + token + "\u0001\u0001").getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads capability lines up to the OK; the SASL line. */
    static String sasl(RawClient c, boolean starttls) throws Exception {
        assertEquals("\"IMPLEMENTATION\" \"mailproxy\"", c.readLine());
        c.expect("\"SIEVE\" ");
        c.expect("\"NOTIFY\" ");
        String sasl = c.readLine();
        if (starttls) assertEquals("\"STARTTLS\"", c.readLine());
        assertEquals("\"VERSION\" \"1.0\"", c.readLine());
        c.expect("OK ");
        return sasl;
    }

    RawClient secured() throws Exception {
        RawClient c = RawClient.connect(proxy.port("sieve"));
        assertEquals("\"SASL\" \"\"", sasl(c, true));
        c.line("AUTHENTICATE \"OAUTHBEARER\" \"" + bearer("x") + "\"");
        assertEquals("NO (ENCRYPT-NEEDED) \"Use STARTTLS first.\"", c.readLine());
        c.line("STARTTLS");
        assertEquals("OK \"Begin TLS negotiation now.\"", c.readLine());
        RawClient s = TlsClients.upgrade(c, certs.clientContext());
        assertEquals("\"SASL\" \"PLAIN OAUTHBEARER XOAUTH2\"", sasl(s, false));
        return s;
    }

    @Test
    void sieveTokenLoginAfterStartTls() throws Exception {
        try (RawClient s = secured()) {
            String ir = bearer(TOKEN);
            s.send("AUTHENTICATE \"OAUTHBEARER\" {" + ir.length() + "+}\r\n" + ir + "\r\n");
            assertEquals("OK \"Logged in.\"", s.readLine());
        }
        // the backend got its own mechanism, the response as a literal
        assertEquals("AUTHENTICATE \"OAUTHBEARER\" {" + bearer(TOKEN).length() + "+}", backendLines.get(0));
        assertEquals(bearer(TOKEN), backendLines.get(1));
    }

    @Test
    void sieveRefusedTokenPassesTheBackendsChallengeOn() throws Exception {
        try (RawClient s = secured()) {
            s.line("AUTHENTICATE \"XOAUTH2\"");
            assertEquals("\"\"", s.readLine());
            s.line("\"" + Base64.getEncoder().encodeToString(("user=bob\u0001auth=Bearer wrong\u0001\u0001").getBytes(StandardCharsets.ISO_8859_1)) + "\"");
            assertEquals("\"eyJzdGF0dXMiOiJiYWNrZW5kIn0=\"", s.readLine());
            s.line("\"\"");
            assertEquals("NO \"Invalid token\"", s.readLine());
        }
        assertTrue(backendLines.get(0).startsWith("AUTHENTICATE \"OAUTHBEARER\" \""), backendLines.get(0));
        assertEquals("\"AQ==\"", backendLines.get(1), "the proxy answered the backend's challenge itself");
    }

    @Test
    void imapTokenLoginsWaitForTls() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("imap"))) {
            String greeting = c.expect("* OK [CAPABILITY ");
            assertTrue(greeting.contains("LOGINDISABLED"), greeting);
            assertFalse(greeting.contains("AUTH="), greeting);
            c.line("a AUTHENTICATE OAUTHBEARER " + bearer(TOKEN));
            assertEquals("a NO [PRIVACYREQUIRED] Use STARTTLS first", c.readLine());
            c.line("b STARTTLS");
            c.expect("b OK");
            RawClient s = TlsClients.upgrade(c, certs.clientContext());
            s.line("c CAPABILITY");
            String caps = s.expect("* CAPABILITY ");
            assertTrue(caps.contains("AUTH=OAUTHBEARER AUTH=XOAUTH2") && !caps.contains("LOGINDISABLED"), caps);
        }
    }
}
