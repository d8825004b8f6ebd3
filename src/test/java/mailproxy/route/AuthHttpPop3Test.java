package mailproxy.route;

import static mailproxy.testing.Sasl.b64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** POP3 through the proxy with an auth_http router: every mechanism's headers, every answer's path. */
@Timeout(30)
class AuthHttpPop3Test {
    private static final Pattern TIMESTAMP = Pattern.compile("<[0-9]+\\.[0-9]+@proxy\\.example\\.test>");

    @RegisterExtension
    final AuthHttpFixture f = new AuthHttpFixture(FakeBackends.pop3(), null,
            pop3Listener(", auth = [plain, login, cram-md5], pop3-apop = true"));

    /** The POP3 listener with these extra keys. */
    private static String pop3Listener(String extras) {
        return "{ name = pop3, protocol = pop3, listen = \"127.0.0.1:0\" " + extras + " }";
    }

    private RawClient connect() throws Exception {
        return RawClient.connect(f.proxy.port("pop3"));
    }

    private static String greetingTimestamp(RawClient c) throws Exception {
        String greeting = c.expect("+OK proxy.example.test POP3 ready <");
        Matcher m = TIMESTAMP.matcher(greeting);
        assertTrue(m.find(), greeting);
        assertTrue(greeting.endsWith(m.group()), greeting);
        return m.group();
    }

    private void quit(RawClient c) throws Exception {
        c.line("QUIT");
        c.expect("+OK Logging out.");
    }

    @Test
    void userPassSendsEveryHeaderAndTheBackendGetsTheOverride() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend().with("Auth-User", "bob").with("Auth-Pass", "real secret")));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("USER alias@example.test").expect("+OK");
            c.line("PASS any thing").expect("+OK Logged in.");
            quit(c);
            f.auth.last().assertHeaders(AuthHttpFixture.ALIAS_LOGIN + """
                    Auth-Protocol: pop3
                    Client-Port: %d
                    no Auth-Salt
                    no Client-Host
                    """.formatted(c.socket().getLocalPort()));
        }
        assertEquals(List.of("USER bob", "PASS real secret", "QUIT"), f.backend.received());
    }

    @Test
    void saslPlainAndLoginReportMethodPlain() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend()));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("AUTH PLAIN " + Sasl.plain("bob", "pw 1")).expect("+OK Logged in.");
            quit(c);
        }
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("AUTH LOGIN").expect("+ VXNlcm5hbWU6");
            c.line(b64("carol")).expect("+ UGFzc3dvcmQ6");
            c.line(b64("pw 2")).expect("+OK Logged in.");
            quit(c);
        }
        List<AuthServer.Request> rs = f.auth.requests();
        rs.get(0).assertHeaders("""
                Auth-Method: plain
                Auth-User: bob
                Auth-Pass: pw%201
                """);
        rs.get(1).assertHeaders("""
                Auth-Method: plain
                Auth-User: carol
                Auth-Pass: pw%202
                """);
        // no override: the backend gets the client's own login
        assertEquals(List.of("bob pw 1", "carol pw 2"), List.copyOf(f.backend.logins()));
        assertEquals(List.of("USER carol", "PASS pw 2", "QUIT"), f.backend.received().subList(3, 6));
    }

    /** RFC 1939 §7: APOP name digest, digest = MD5(timestamp + secret); the auth server checks it. */
    @Test
    void apopSendsDigestAndGreetingTimestampAndLogsInWithAuthPass() throws Exception {
        f.start(AuthServer.start(AuthServer.knowingSecret("tanstaaf", f.toBackend())));
        try (RawClient c = connect()) {
            String ts = greetingTimestamp(c);
            c.line("APOP mrose " + Sasl.apopDigest(ts, "tanstaaf")).expect("+OK Logged in.");
            quit(c);
            f.auth.last().assertHeaders("""
                    Auth-Method: apop
                    Auth-User: mrose
                    Auth-Salt: %s
                    """.formatted(ts));
        }
        assertEquals(List.of("USER mrose", "PASS tanstaaf", "QUIT"), f.backend.received());
    }

    /** RFC 2195: the challenge is base64 of the msg-id; the response "user digest". */
    @Test
    void cramMd5SendsDigestAndChallengeAndLogsInWithAuthPass() throws Exception {
        f.start(AuthServer.start(AuthServer.knowingSecret("tanstaaftanstaaf", f.toBackend())));
        try (RawClient c = connect()) {
            String ts = greetingTimestamp(c);
            c.line("AUTH CRAM-MD5");
            String challenge = Sasl.cramMd5(c, "+ ", "tim", "tanstaaftanstaaf");
            c.expect("+OK Logged in.");
            assertTrue(TIMESTAMP.matcher(challenge).matches(), challenge);
            assertFalse(challenge.equals(ts), "a fresh challenge, not the greeting's");
            quit(c);
            f.auth.last().assertHeaders("""
                    Auth-Method: cram-md5
                    Auth-User: tim
                    Auth-Salt: %s
                    """.formatted(challenge));
        }
        assertEquals(List.of("USER tim", "PASS tanstaaftanstaaf", "QUIT"), f.backend.received());
    }

    @Test
    void digestWithoutAuthPassIsATemporaryFailure() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend()));
        try (RawClient c = connect()) {
            String ts = greetingTimestamp(c);
            c.line("APOP mrose " + Sasl.apopDigest(ts, "x")).expect("-ERR [SYS/TEMP]");
            assertTrue(c.closedByPeer());
        }
        assertEquals(0, f.backend.accepted());
    }

    @Test
    void errorWithAuthWaitWaitsRepliesAndCountsTheRetry() throws Exception {
        f.start(AuthServer.start(r -> r.header("Auth-Login-Attempt").equals("1")
                ? AuthServer.error("Invalid login or password").with("Auth-Wait", "1")
                : f.toBackend()));
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
        List<AuthServer.Request> rs = f.auth.requests();
        assertEquals(2, rs.size());
        assertEquals("1", rs.get(0).header("Auth-Login-Attempt"));
        assertEquals("2", rs.get(1).header("Auth-Login-Attempt"));
    }

    @Test
    void errorWithoutAuthWaitRepliesAndCloses() throws Exception {
        f.start(AuthServer.start(r -> AuthServer.error("Account disabled")));
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
        f.start(AuthServer.start(r -> calls.incrementAndGet() <= 2
                ? AuthServer.answer().with("Auth-Status", "WAIT").with("Auth-Wait", "0")
                : f.toBackend()));
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("USER bob").expect("+OK");
            c.line("PASS pw").expect("+OK Logged in.");
            quit(c);
        }
        List<AuthServer.Request> rs = f.auth.requests();
        assertEquals(3, rs.size());
        rs.forEach(r -> assertEquals("1", r.header("Auth-Login-Attempt")));
    }

    @Test
    void authServerDownSlowOrMalformedIsSysTempAndClose() throws Exception {
        int closedPort = FreePorts.closedPort();
        try (AuthServer slow = AuthServer.start(r -> f.toBackend().delay(5000));
             ScriptedServer garbage = new ScriptedServer(peer -> {
                 for (String l = peer.readLine(); l != null && !l.isEmpty(); l = peer.readLine()) { /* request */ }
                 peer.send("garbage\r\n\r\n");
             })) {
            for (String url : List.of("http://127.0.0.1:" + closedPort + "/auth", slow.url().toString(),
                    "http://127.0.0.1:" + garbage.port() + "/auth")) {
                f.startProxy(url, pop3Listener(""));
                try (RawClient c = connect()) {
                    c.expect("+OK proxy.example.test POP3 ready");
                    c.line("USER bob").expect("+OK");
                    c.line("PASS pw").expect("-ERR [SYS/TEMP]");
                    assertTrue(c.closedByPeer(), url);
                }
            }
        }
        assertEquals(0, f.backend.accepted());
    }

    @Test
    void apopOffAndMalformedDigestAreErrors() throws Exception {
        f.auth = AuthServer.start(r -> f.toBackend());
        f.startProxy(f.auth.url().toString(), pop3Listener(", auth = [plain]"));
        try (RawClient c = connect()) {
            assertEquals("+OK proxy.example.test POP3 ready", c.readLine(), "no timestamp without APOP or CRAM-MD5");
            c.line("APOP bob c4c9334bac560ecc979e58001b3e22fb").expect("-ERR APOP not enabled");
            c.line("AUTH CRAM-MD5").expect("-ERR Unsupported");
        }
        f.startProxy(f.auth.url().toString(), pop3Listener(", pop3-apop = true")); // in place of the first
        try (RawClient c = connect()) {
            greetingTimestamp(c);
            c.line("APOP bob 1234").expect("-ERR APOP digest must be 32 hex digits");
        }
        assertEquals(0, f.auth.requests().size());
    }
}
