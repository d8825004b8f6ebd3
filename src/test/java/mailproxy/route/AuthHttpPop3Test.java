package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** POP3 through the proxy with an auth_http router: every mechanism's headers, every answer's path. */
@Timeout(30)
class AuthHttpPop3Test {
    private static final Pattern TIMESTAMP = Pattern.compile("<[0-9]+\\.[0-9]+@proxy\\.example\\.test>");

    private final List<String> backendSaw = new CopyOnWriteArrayList<>();
    private ScriptedServer backend;
    private AuthServer auth;
    private TestProxy proxy;

    @BeforeEach
    void backend() throws Exception {
        backend = new ScriptedServer(peer -> {
            peer.line("+OK fake backend ready");
            String user = peer.readLine();
            backendSaw.add(user);
            peer.line("+OK");
            backendSaw.add(peer.readLine());
            peer.line("+OK Logged in.");
            if ("QUIT".equals(peer.readLine())) peer.line("+OK Logging out.");
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (auth != null) auth.close();
        backend.close();
    }

    private void start(String url, String listenerExtras) throws Exception {
        proxy = TestProxy.start("""
                mailproxy {
                  server-name = "proxy.example.test"
                  routers { auth { type = auth-http, url = "%s", timeout = 2s } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" %s } ]
                }
                """.formatted(url, listenerExtras));
    }

    private void start(AuthServer a) throws Exception {
        auth = a;
        start(a.url().toString(), ", auth = [plain, login, cram-md5], pop3-apop = true");
    }

    private AuthServer.Answer toBackend() {
        return AuthServer.ok("127.0.0.1", backend.port());
    }

    private RawClient connect() throws Exception {
        return RawClient.connect(proxy.port("pop3"));
    }

    private static String greetingTimestamp(RawClient c) throws Exception {
        String greeting = c.expect("+OK proxy.example.test POP3 ready <");
        Matcher m = TIMESTAMP.matcher(greeting);
        assertTrue(m.find(), greeting);
        assertTrue(greeting.endsWith(m.group()), greeting);
        return m.group();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.ISO_8859_1);
    }

    private void quit(RawClient c) throws Exception {
        c.line("QUIT");
        c.expect("+OK Logging out.");
    }

    @Test
    void userPassSendsEveryHeaderAndTheBackendGetsTheOverride() throws Exception {
        start(AuthServer.start(r -> toBackend().with("Auth-User", "bob").with("Auth-Pass", "real secret")));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("USER alias@example.test").expect("+OK");
            c.line("PASS any thing").expect("+OK Logged in.");
            quit(c);
            AuthServer.Request r = auth.last();
            assertEquals("plain", r.header("Auth-Method"));
            assertEquals("alias@example.test", r.header("Auth-User"));
            assertEquals("any%20thing", r.header("Auth-Pass"));
            assertEquals("pop3", r.header("Auth-Protocol"));
            assertEquals("1", r.header("Auth-Login-Attempt"));
            assertEquals("127.0.0.1", r.header("Client-IP"));
            assertEquals(Integer.toString(c.socket().getLocalPort()), r.header("Client-Port"));
            assertEquals(null, r.header("Auth-Salt"));
            assertEquals(null, r.header("Client-Host"));
        }
        assertEquals(List.of("USER bob", "PASS real secret"), backendSaw);
    }

    @Test
    void saslPlainAndLoginReportMethodPlain() throws Exception {
        start(AuthServer.start(r -> toBackend()));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("AUTH PLAIN " + b64("\0bob\0pw 1")).expect("+OK Logged in.");
            quit(c);
        }
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("AUTH LOGIN").expect("+ VXNlcm5hbWU6");
            c.line(b64("carol")).expect("+ UGFzc3dvcmQ6");
            c.line(b64("pw 2")).expect("+OK Logged in.");
            quit(c);
        }
        List<AuthServer.Request> rs = auth.requests();
        assertEquals("plain", rs.get(0).header("Auth-Method"));
        assertEquals("bob", rs.get(0).header("Auth-User"));
        assertEquals("pw%201", rs.get(0).header("Auth-Pass"));
        assertEquals("plain", rs.get(1).header("Auth-Method"));
        assertEquals("carol", rs.get(1).header("Auth-User"));
        assertEquals("pw%202", rs.get(1).header("Auth-Pass"));
        // no override: the backend gets the client's own login
        assertEquals(List.of("USER carol", "PASS pw 2"), backendSaw.subList(2, 4));
    }

    /** RFC 1939 §7: APOP name digest, digest = MD5(timestamp + secret); the auth server checks it. */
    @Test
    void apopSendsDigestAndGreetingTimestampAndLogsInWithAuthPass() throws Exception {
        start(AuthServer.start(r -> {
            try {
                String expected = AuthServer.apopDigest(r.header("Auth-Salt"), "tanstaaf");
                return expected.equals(r.header("Auth-Pass"))
                        ? toBackend().with("Auth-Pass", "tanstaaf") : AuthServer.error("bad digest");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
        try (RawClient c = connect()) {
            String ts = greetingTimestamp(c);
            c.line("APOP mrose " + AuthServer.apopDigest(ts, "tanstaaf")).expect("+OK Logged in.");
            quit(c);
            AuthServer.Request r = auth.last();
            assertEquals("apop", r.header("Auth-Method"));
            assertEquals("mrose", r.header("Auth-User"));
            assertEquals(ts, r.header("Auth-Salt"));
        }
        assertEquals(List.of("USER mrose", "PASS tanstaaf"), backendSaw);
    }

    /** RFC 2195: the challenge is base64 of the msg-id; the response "user digest". */
    @Test
    void cramMd5SendsDigestAndChallengeAndLogsInWithAuthPass() throws Exception {
        start(AuthServer.start(r -> {
            try {
                String expected = AuthServer.cramDigest(r.header("Auth-Salt"), "tanstaaftanstaaf");
                return expected.equals(r.header("Auth-Pass"))
                        ? toBackend().with("Auth-Pass", "tanstaaftanstaaf") : AuthServer.error("bad digest");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
        try (RawClient c = connect()) {
            String ts = greetingTimestamp(c);
            c.line("AUTH CRAM-MD5");
            String challenge = unb64(c.expect("+ ").substring(2));
            assertTrue(TIMESTAMP.matcher(challenge).matches(), challenge);
            assertFalse(challenge.equals(ts), "a fresh challenge, not the greeting's");
            c.line(b64("tim " + AuthServer.cramDigest(challenge, "tanstaaftanstaaf"))).expect("+OK Logged in.");
            quit(c);
            AuthServer.Request r = auth.last();
            assertEquals("cram-md5", r.header("Auth-Method"));
            assertEquals("tim", r.header("Auth-User"));
            assertEquals(challenge, r.header("Auth-Salt"));
        }
        assertEquals(List.of("USER tim", "PASS tanstaaftanstaaf"), backendSaw);
    }

    @Test
    void digestWithoutAuthPassIsATemporaryFailure() throws Exception {
        start(AuthServer.start(r -> toBackend()));
        try (RawClient c = connect()) {
            String ts = greetingTimestamp(c);
            c.line("APOP mrose " + AuthServer.apopDigest(ts, "x")).expect("-ERR [SYS/TEMP]");
            assertTrue(c.closedByPeer());
        }
        assertEquals(0, backend.accepted());
    }

    @Test
    void errorWithAuthWaitWaitsRepliesAndCountsTheRetry() throws Exception {
        start(AuthServer.start(r -> r.header("Auth-Login-Attempt").equals("1")
                ? AuthServer.error("Invalid login or password").with("Auth-Wait", "1")
                : toBackend()));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("USER bob").expect("+OK");
            long t0 = System.nanoTime();
            c.line("PASS wrong").expect("-ERR Invalid login or password");
            assertTrue(System.nanoTime() - t0 >= 900_000_000L, "replied only after Auth-Wait");
            c.line("USER bob").expect("+OK");
            c.line("PASS right").expect("+OK Logged in.");
            quit(c);
        }
        List<AuthServer.Request> rs = auth.requests();
        assertEquals(2, rs.size());
        assertEquals("1", rs.get(0).header("Auth-Login-Attempt"));
        assertEquals("2", rs.get(1).header("Auth-Login-Attempt"));
    }

    @Test
    void errorWithoutAuthWaitRepliesAndCloses() throws Exception {
        start(AuthServer.start(r -> AuthServer.error("Account disabled")));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("USER bob").expect("+OK");
            c.line("PASS pw").expect("-ERR Account disabled");
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void waitAsksAgainWithoutCountingAnAttempt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        start(AuthServer.start(r -> calls.incrementAndGet() <= 2
                ? AuthServer.answer().with("Auth-Status", "WAIT").with("Auth-Wait", "0")
                : toBackend()));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("USER bob").expect("+OK");
            c.line("PASS pw").expect("+OK Logged in.");
            quit(c);
        }
        List<AuthServer.Request> rs = auth.requests();
        assertEquals(3, rs.size());
        rs.forEach(r -> assertEquals("1", r.header("Auth-Login-Attempt")));
    }

    @Test
    void authServerDownSlowOrMalformedIsSysTempAndClose() throws Exception {
        int closedPort;
        try (ServerSocket ss = new ServerSocket(0)) {
            closedPort = ss.getLocalPort();
        }
        try (AuthServer slow = AuthServer.start(r -> toBackend().delay(5000));
             ScriptedServer garbage = new ScriptedServer(peer -> {
                 for (String l = peer.readLine(); l != null && !l.isEmpty(); l = peer.readLine()) { /* request */ }
                 peer.send("garbage\r\n\r\n");
             })) {
            for (String url : List.of("http://127.0.0.1:" + closedPort + "/auth", slow.url().toString(),
                    "http://127.0.0.1:" + garbage.port() + "/auth")) {
                start(url, "");
                try (RawClient c = connect()) {
                    c.expect("+OK proxy.example.test POP3 ready");
                    c.line("USER bob").expect("+OK");
                    c.line("PASS pw").expect("-ERR [SYS/TEMP]");
                    assertTrue(c.closedByPeer(), url);
                }
                proxy.close();
                proxy = null;
            }
        }
        assertEquals(0, backend.accepted());
    }

    @Test
    void apopOffAndMalformedDigestAreErrors() throws Exception {
        auth = AuthServer.start(r -> toBackend());
        start(auth.url().toString(), ", auth = [plain]");
        try (RawClient c = connect()) {
            assertEquals("+OK proxy.example.test POP3 ready", c.readLine(), "no timestamp without APOP or CRAM-MD5");
            c.line("APOP bob c4c9334bac560ecc979e58001b3e22fb").expect("-ERR APOP not enabled");
            c.line("AUTH CRAM-MD5").expect("-ERR Unsupported");
        }
        proxy.close();
        start(auth.url().toString(), ", pop3-apop = true");
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("APOP bob 1234").expect("-ERR APOP digest must be 32 hex digits");
        }
        assertEquals(0, auth.requests().size());
    }
}
