package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** IMAP through the proxy with an auth_http router: headers per mechanism, answers, overrides. */
@Timeout(30)
class AuthHttpImapTest {
    /** What the fake backend decoded from each AUTHENTICATE PLAIN: "user NUL password". */
    private final List<String> backendLogins = new CopyOnWriteArrayList<>();
    private ScriptedServer backend;
    private AuthServer auth;
    private TestProxy proxy;

    @BeforeEach
    void backend() throws Exception {
        // logs in with AUTHENTICATE PLAIN + SASL-IR (backend-options below), so one line carries it
        backend = new ScriptedServer(peer -> {
            peer.line("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] fake backend ready");
            String login = peer.readLine();
            String[] w = login.split(" ");
            backendLogins.add(unb64(w[3]).substring(1).replace('\0', ' '));
            peer.line(w[0] + " OK [CAPABILITY IMAP4rev1] Logged in");
            String next = peer.readLine();
            if (next != null && next.endsWith("LOGOUT")) peer.line("* BYE bye\r\n" + next.split(" ")[0] + " OK done");
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
                  backends { tpl { host = "0.0.0.0", imap { port = 1, login = authenticate-plain } } }
                  routers { auth { type = auth-http, url = "%s", timeout = 2s, backend-options = tpl } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", auth = [plain, login, cram-md5] } ]
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

    private RawClient connect() throws Exception {
        RawClient c = RawClient.connect(proxy.port("imap"));
        c.expect("* OK [CAPABILITY ");
        return c;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.ISO_8859_1);
    }

    private static void logout(RawClient c, String tag) throws Exception {
        c.line(tag + " LOGOUT");
        c.expect("* BYE");
        c.expect(tag + " OK");
    }

    @Test
    void loginSendsEveryHeaderAndTheBackendGetsTheOverride() throws Exception {
        start(AuthServer.start(r -> toBackend().with("Auth-User", "bob").with("Auth-Pass", "real secret")));
        try (RawClient c = connect()) {
            c.line("a1 LOGIN \"alias@example.test\" \"any thing\"").expect("a1 OK");
            logout(c, "a2");
            AuthServer.Request r = auth.last();
            assertEquals("plain", r.header("Auth-Method"));
            assertEquals("alias@example.test", r.header("Auth-User"));
            assertEquals("any%20thing", r.header("Auth-Pass"));
            assertEquals("imap", r.header("Auth-Protocol"));
            assertEquals("1", r.header("Auth-Login-Attempt"));
            assertEquals("127.0.0.1", r.header("Client-IP"));
            assertEquals(Integer.toString(c.socket().getLocalPort()), r.header("Client-Port"));
            assertNull(r.header("Auth-Salt"));
            assertNull(r.header("Client-Host"));
            assertNull(r.header("Auth-SSL"));
        }
        assertEquals(List.of("bob real secret"), backendLogins);
    }

    @Test
    void userWithSpacePercentCrLfAndNonAsciiArrivesEscaped() throws Exception {
        start(AuthServer.start(r -> toBackend()));
        String user = new String("jö rg%\r\nx".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        try (RawClient c = connect()) {
            // a literal carries any byte; the proxy must not let CR LF reach the header block
            c.send("a1 LOGIN {" + user.length() + "+}\r\n" + user + " pw\r\n").expect("a1 OK");
            logout(c, "a2");
        }
        AuthServer.Request r = auth.last();
        assertEquals("j\u00c3\u00b6%20rg%25%0D%0Ax", r.header("Auth-User"));
        assertEquals("jö rg%\r\nx", new String(r.unescaped("Auth-User"), StandardCharsets.UTF_8));
    }

    @Test
    void authenticatePlainAndLoginReportMethodPlain() throws Exception {
        start(AuthServer.start(r -> toBackend()));
        try (RawClient c = connect()) {
            c.line("a1 AUTHENTICATE PLAIN " + b64("\0bob\0pw1")).expect("a1 OK");
            logout(c, "a2");
        }
        try (RawClient c = connect()) {
            c.line("a1 AUTHENTICATE LOGIN").expect("+ VXNlcm5hbWU6");
            c.line(b64("carol")).expect("+ UGFzc3dvcmQ6");
            c.line(b64("pw2")).expect("a1 OK");
            logout(c, "a2");
        }
        List<AuthServer.Request> rs = auth.requests();
        assertEquals(List.of("plain", "plain"), rs.stream().map(r -> r.header("Auth-Method")).toList());
        assertEquals(List.of("bob", "carol"), rs.stream().map(r -> r.header("Auth-User")).toList());
        assertEquals(List.of("bob pw1", "carol pw2"), backendLogins);
    }

    /** RFC 2195 §2's own exchange shape: "+ " base64 challenge, response base64 "user digest". */
    @Test
    void cramMd5SendsDigestAndSaltAndLogsInWithAuthPass() throws Exception {
        start(AuthServer.start(r -> {
            try {
                return AuthServer.cramDigest(r.header("Auth-Salt"), "tanstaaftanstaaf").equals(r.header("Auth-Pass"))
                        ? toBackend().with("Auth-Pass", "tanstaaftanstaaf") : AuthServer.error("bad digest");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
        try (RawClient c = connect()) {
            c.line("a1 AUTHENTICATE CRAM-MD5");
            String challenge = unb64(c.expect("+ ").substring(2));
            assertTrue(challenge.matches("<[0-9]+\\.[0-9]+@proxy\\.example\\.test>"), challenge);
            c.line(b64("tim " + AuthServer.cramDigest(challenge, "tanstaaftanstaaf"))).expect("a1 OK");
            logout(c, "a2");
            AuthServer.Request r = auth.last();
            assertEquals("cram-md5", r.header("Auth-Method"));
            assertEquals("tim", r.header("Auth-User"));
            assertEquals(challenge, r.header("Auth-Salt"));
            assertEquals("imap", r.header("Auth-Protocol"));
        }
        assertEquals(List.of("tim tanstaaftanstaaf"), backendLogins);
    }

    @Test
    void errorWithWaitLetsTheClientRetryAndCountsTheAttempt() throws Exception {
        start(AuthServer.start(r -> r.header("Auth-Login-Attempt").equals("1")
                ? AuthServer.error("Invalid login or password").with("Auth-Wait", "1") : toBackend()));
        try (RawClient c = connect()) {
            c.line("a1 LOGIN bob wrong").expect("a1 NO [AUTHENTICATIONFAILED] Invalid login or password");
            c.line("a2 LOGIN bob right").expect("a2 OK");
            logout(c, "a3");
        }
        assertEquals(List.of("1", "2"), auth.requests().stream().map(r -> r.header("Auth-Login-Attempt")).toList());
    }

    @Test
    void errorWithoutWaitRepliesAndCloses() throws Exception {
        start(AuthServer.start(r -> AuthServer.error("Account disabled")));
        try (RawClient c = connect()) {
            c.line("a1 LOGIN bob pw").expect("a1 NO [AUTHENTICATIONFAILED] Account disabled");
            c.expect("* BYE");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void waitDoesNotCountAnAttempt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        start(AuthServer.start(r -> calls.incrementAndGet() == 1
                ? AuthServer.answer().with("Auth-Status", "WAIT").with("Auth-Wait", "0") : toBackend()));
        try (RawClient c = connect()) {
            c.line("a1 LOGIN bob pw").expect("a1 OK");
            logout(c, "a2");
        }
        assertEquals(List.of("1", "1"), auth.requests().stream().map(r -> r.header("Auth-Login-Attempt")).toList());
    }

    @Test
    void authServerDownIsUnavailableAndClose() throws Exception {
        int closedPort;
        try (ServerSocket ss = new ServerSocket(0)) {
            closedPort = ss.getLocalPort();
        }
        start("http://127.0.0.1:" + closedPort + "/auth");
        try (RawClient c = connect()) {
            c.line("a1 LOGIN bob pw").expect("a1 NO [UNAVAILABLE]");
            c.expect("* BYE");
            assertTrue(c.closedByPeer());
        }
        assertEquals(0, backend.accepted());
    }
}
