package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SMTP through the proxy with an auth_http router: submission AUTH, CRAM-MD5, MX mode's Auth-SMTP-*. */
@Timeout(30)
class AuthHttpSmtpTest {
    /** Every line the fake backend got, AUTH PLAIN responses decoded to "AUTH PLAIN user password". */
    private final List<String> backendSaw = new CopyOnWriteArrayList<>();
    private ScriptedServer backend;
    private AuthServer auth;
    private TestProxy proxy;

    @BeforeEach
    void backend() throws Exception {
        backend = new ScriptedServer(peer -> {
            peer.line("220 fake.backend ESMTP");
            for (int i = 0; i < 50; i++) {
                String line = peer.readLine();
                if (line == null) return;
                String verb = line.split(" ")[0].toUpperCase(Locale.ROOT);
                if (verb.equals("AUTH")) {
                    String[] w = line.split(" ");
                    line = "AUTH PLAIN " + unb64(w[2]).substring(1).replace('\0', ' ');
                }
                backendSaw.add(line);
                switch (verb) {
                    case "EHLO" -> peer.line("250-fake.backend\r\n250-PIPELINING\r\n250 AUTH PLAIN");
                    case "AUTH" -> peer.line("235 2.7.0 Authentication successful");
                    case "MAIL" -> peer.line("250 2.1.0 Ok");
                    case "RCPT" -> peer.line("250 2.1.5 Ok");
                    case "QUIT" -> {
                        peer.line("221 2.0.0 Bye");
                        return;
                    }
                    default -> peer.line("502 5.5.2 Error: command not recognized");
                }
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (auth != null) auth.close();
        backend.close();
    }

    private void start(String url) throws Exception {
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.example.test"
                  backends { tpl { host = "0.0.0.0", smtp { port = 1, auth = plain } } }
                  routers { auth { type = auth-http, url = "%s", timeout = 2s, backend-options = tpl } }
                  listeners = [
                    { name = submission, protocol = smtp, listen = "127.0.0.1:0", auth = [plain, login, cram-md5] }
                    { name = mx, protocol = smtp, listen = "127.0.0.1:0", smtp-mode = mx }
                  ]
                }
                """.formatted(url));
    }

    private void start(AuthServer a) throws Exception {
        auth = a;
        start(a.url().toString());
    }

    private AuthServer.Answer toBackend() {
        return AuthServer.ok("127.0.0.1", backend.port());
    }

    private RawClient connect(String listener) throws Exception {
        RawClient c = RawClient.connect(proxy.port(listener));
        c.expect("220 proxy.example.test");
        c.line("EHLO client.example");
        for (String l = c.readLine(); l != null && l.startsWith("250-"); l = c.readLine()) { /* capabilities */ }
        return c;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.ISO_8859_1);
    }

    private static void quit(RawClient c) throws Exception {
        c.line("QUIT").expect("221");
    }

    @Test
    void authPlainSendsEveryHeaderAndTheBackendGetsTheOverride() throws Exception {
        start(AuthServer.start(r -> toBackend().with("Auth-User", "bob").with("Auth-Pass", "real secret")));
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + b64("\0alias@example.test\0any thing")).expect("235 2.7.0");
            quit(c);
            AuthServer.Request r = auth.last();
            assertEquals("plain", r.header("Auth-Method"));
            assertEquals("alias@example.test", r.header("Auth-User"));
            assertEquals("any%20thing", r.header("Auth-Pass"));
            assertEquals("smtp", r.header("Auth-Protocol"));
            assertEquals("1", r.header("Auth-Login-Attempt"));
            assertEquals("127.0.0.1", r.header("Client-IP"));
            assertEquals(Integer.toString(c.socket().getLocalPort()), r.header("Client-Port"));
            assertEquals("[UNAVAILABLE]", r.header("Client-Host"));
            assertNull(r.header("Auth-Salt"));
            assertNull(r.header("Auth-SMTP-Helo"), "only in MX mode");
        }
        assertTrue(backendSaw.contains("AUTH PLAIN bob real secret"), backendSaw.toString());
    }

    @Test
    void authLoginReportsPlain() throws Exception {
        start(AuthServer.start(r -> toBackend()));
        try (RawClient c = connect("submission")) {
            c.line("AUTH LOGIN").expect("334 VXNlcm5hbWU6");
            c.line(b64("carol")).expect("334 UGFzc3dvcmQ6");
            c.line(b64("pw")).expect("235");
            quit(c);
        }
        assertEquals("plain", auth.last().header("Auth-Method"));
        assertEquals("carol", auth.last().header("Auth-User"));
        assertTrue(backendSaw.contains("AUTH PLAIN carol pw"), backendSaw.toString());
    }

    @Test
    void cramMd5SendsDigestAndSaltAndTheBackendGetsAuthPass() throws Exception {
        start(AuthServer.start(r -> {
            try {
                return AuthServer.cramDigest(r.header("Auth-Salt"), "tanstaaftanstaaf").equals(r.header("Auth-Pass"))
                        ? toBackend().with("Auth-Pass", "tanstaaftanstaaf") : AuthServer.error("bad digest");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
        try (RawClient c = connect("submission")) {
            c.line("AUTH CRAM-MD5");
            String challenge = unb64(c.expect("334 ").substring(4));
            assertTrue(challenge.matches("<[0-9]+\\.[0-9]+@proxy\\.example\\.test>"), challenge);
            c.line(b64("tim " + AuthServer.cramDigest(challenge, "tanstaaftanstaaf"))).expect("235");
            quit(c);
            AuthServer.Request r = auth.last();
            assertEquals("cram-md5", r.header("Auth-Method"));
            assertEquals("tim", r.header("Auth-User"));
            assertEquals(challenge, r.header("Auth-Salt"));
        }
        assertTrue(backendSaw.contains("AUTH PLAIN tim tanstaaftanstaaf"), backendSaw.toString());
    }

    @Test
    void mxModeSendsMethodNoneAndTheEnvelope() throws Exception {
        start(AuthServer.start(r -> toBackend()));
        try (RawClient c = connect("mx")) {
            c.line("MAIL FROM:<a@x.example> SIZE=100").expect("250");
            c.line("RCPT TO:<b@y.example>").expect("250 2.1.5");
            quit(c);
        }
        AuthServer.Request r = auth.last();
        assertEquals("none", r.header("Auth-Method"));
        assertEquals("", r.header("Auth-User"));
        assertEquals("", r.header("Auth-Pass"));
        assertEquals("smtp", r.header("Auth-Protocol"));
        assertEquals("[UNAVAILABLE]", r.header("Client-Host"));
        assertEquals("client.example", r.header("Auth-SMTP-Helo"));
        assertEquals("MAIL FROM:<a@x.example> SIZE=100", r.header("Auth-SMTP-From"));
        assertEquals("RCPT TO:<b@y.example>", r.header("Auth-SMTP-To"));
        assertTrue(backendSaw.contains("MAIL FROM:<a@x.example> SIZE=100"), backendSaw.toString());
        assertTrue(backendSaw.contains("RCPT TO:<b@y.example>"), backendSaw.toString());
    }

    @Test
    void errorCodeFromTheAuthServerAndRetryWithWait() throws Exception {
        start(AuthServer.start(r -> r.header("Auth-Login-Attempt").equals("1")
                ? AuthServer.error("Invalid login or password").with("Auth-Wait", "1").with("Auth-Error-Code", "535 5.7.8")
                : AuthServer.error("Too many attempts").with("Auth-Error-Code", "454 4.7.0")));
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + b64("\0bob\0wrong")).expect("535 5.7.8 Invalid login or password");
            c.line("AUTH PLAIN " + b64("\0bob\0again")).expect("454 4.7.0 Too many attempts");
            assertTrue(c.closedByPeer());
        }
        assertEquals(List.of("1", "2"), auth.requests().stream().map(r -> r.header("Auth-Login-Attempt")).toList());
    }

    @Test
    void errorWithoutCodeUsesTheDefault() throws Exception {
        start(AuthServer.start(r -> AuthServer.error("Invalid login or password")));
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + b64("\0bob\0wrong")).expect("535 5.7.8 Invalid login or password");
        }
    }

    @Test
    void authServerDownIsATemporaryFailureAndClose() throws Exception {
        int closedPort;
        try (ServerSocket ss = new ServerSocket(0)) {
            closedPort = ss.getLocalPort();
        }
        start("http://127.0.0.1:" + closedPort + "/auth");
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + b64("\0bob\0pw")).expect("421 4.3.0");
            assertTrue(c.closedByPeer());
        }
        assertEquals(0, backend.accepted());
    }
}
