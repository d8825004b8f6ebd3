package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OAUTHBEARER and XOAUTH2 with an auth_http router: the auth server gets Auth-Method
 * oauthbearer / xoauth2 with the token as Auth-Pass; the backend gets the token with the
 * client's mechanism, or the password the auth server returns; a refusal is the RFC 7628
 * error challenge, then NO; the token never reaches a log line.
 */
@Timeout(30)
class AuthHttpOAuthTest {
    /** A token with every b64token character (RFC 6750 §2.1), several KB long. */
    static final String TOKEN = "ya29.a0-Af_b~c+d/e" + "x".repeat(3000) + "==";
    private final List<String> backendLines = new CopyOnWriteArrayList<>();
    private ScriptedServer backend;
    private AuthServer auth;
    private TestProxy proxy;

    @BeforeEach
    void backend() throws Exception {
        backend = new ScriptedServer(peer -> {
            peer.line("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=OAUTHBEARER] fake backend ready");
            String login = peer.readLine();
            backendLines.add(login);
            peer.line(login.split(" ")[0] + " OK Logged in");
            peer.readLine();
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (auth != null) auth.close();
        backend.close();
    }

    private void start(AuthServer a) throws Exception {
        auth = a;
        proxy = TestProxy.start("""
                mailproxy {
                  backends { tpl { host = "0.0.0.0", imap { port = 1, send-id = false } } }
                  routers { auth { type = auth-http, url = "%s", timeout = 2s, backend-options = tpl } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", auth = [plain, oauthbearer, xoauth2] } ]
                }
                """.formatted(a.url()));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.ISO_8859_1);
    }

    @Test
    void theTokenIsAuthPassAndTheBackendGetsItByOauthbearer() throws Exception {
        start(AuthServer.start(r -> AuthServer.ok("127.0.0.1", backend.port())));
        try (LogCapture log = new LogCapture(); RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.expect("* OK");
            // XOAUTH2 from the client; the backend offers OAUTHBEARER only: that one
            c.line("a AUTHENTICATE XOAUTH2 " + b64("user=bob@example.test\u0001auth=Bearer " + TOKEN + "\u0001\u0001"));
            c.expect("a OK Logged in");
            AuthServer.Request r = auth.last();
            assertEquals("xoauth2", r.header("Auth-Method"));
            assertEquals("bob@example.test", r.header("Auth-User"));
            assertEquals(TOKEN.replace("%", "%25"), r.header("Auth-Pass"));
            String[] login = backendLines.get(0).split(" ");
            assertEquals("AUTHENTICATE", login[1]);
            assertEquals("OAUTHBEARER", login[2]);
            assertEquals("n,a=bob@example.test,\u0001auth=Bearer " + TOKEN + "\u0001\u0001", unb64(login[3]));
            assertFalse(log.text().contains(TOKEN.substring(0, 40)), "a token reached the log");
        }
    }

    @Test
    void aPasswordFromTheAuthServerIsAPassword() throws Exception {
        start(AuthServer.start(r -> AuthServer.ok("127.0.0.1", backend.port()).with("Auth-Pass", "master")));
        try (RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.expect("* OK");
            c.line("a AUTHENTICATE OAUTHBEARER " + b64("n,a=bob,\u0001auth=Bearer " + TOKEN + "\u0001\u0001"));
            c.expect("a OK Logged in");
            assertEquals("oauthbearer", auth.last().header("Auth-Method"));
        }
        assertTrue(backendLines.get(0).matches("mp1 LOGIN \\{3\\}"), backendLines.get(0));
    }

    @Test
    void aRefusalIsTheErrorChallengeThenNo() throws Exception {
        start(AuthServer.start(r -> AuthServer.error("Token expired").with("Auth-Wait", "0")));
        try (LogCapture log = new LogCapture(); RawClient c = RawClient.connect(proxy.port("imap"))) {
            c.expect("* OK");
            c.line("a AUTHENTICATE OAUTHBEARER");
            assertEquals("+ ", c.readLine());
            c.line(b64("n,a=bob,\u0001auth=Bearer " + TOKEN + "\u0001\u0001"));
            String challenge = c.readLine();
            assertEquals("+ " + b64("{\"status\":\"invalid_token\",\"schemes\":\"bearer\"}"), challenge);
            c.line("AQ==");
            c.expect("a NO [AUTHENTICATIONFAILED] Token expired");
            assertFalse(log.text().contains(TOKEN.substring(0, 40)), "a token reached the log");
            assertTrue(log.text().contains("imap login of bob refused by the auth server"), log.text());
        }
    }
}
