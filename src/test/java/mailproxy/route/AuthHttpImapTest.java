package mailproxy.route;

import static mailproxy.testing.Sasl.b64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** IMAP through the proxy with an auth_http router: headers per mechanism, answers, overrides. */
@Timeout(30)
class AuthHttpImapTest {
    /** The fake backend is logged in with AUTHENTICATE PLAIN and SASL-IR (backend-options below). */
    /** The fake backend is logged in with AUTHENTICATE PLAIN and SASL-IR (backend-options). */
    @RegisterExtension
    final AuthHttpFixture f = new AuthHttpFixture(FakeBackends.imap(), "imap { port = 1, login = authenticate-plain }",
            "{ name = imap, protocol = imap, listen = \"127.0.0.1:0\", auth = [plain, login, cram-md5] }");

    private RawClient connect() throws Exception {
        RawClient c = RawClient.connect(f.proxy.port("imap"));
        c.expect("* OK [CAPABILITY ");
        return c;
    }

    private static void logout(RawClient c, String tag) throws Exception {
        c.line(tag + " LOGOUT");
        c.expect("* BYE");
        c.expect(tag + " OK");
    }

    @Test
    void loginSendsEveryHeaderAndTheBackendGetsTheOverride() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend().with("Auth-User", "bob").with("Auth-Pass", "real secret")));
        try (RawClient c = connect()) {
            c.line("a1 LOGIN \"alias@example.test\" \"any thing\"").expect("a1 OK");
            logout(c, "a2");
            f.auth.last().assertHeaders(AuthHttpFixture.ALIAS_LOGIN + """
                    Auth-Protocol: imap
                    Client-Port: %d
                    no Auth-Salt
                    no Client-Host
                    no Auth-SSL
                    """.formatted(c.socket().getLocalPort()));
        }
        assertEquals(List.of("bob real secret"), List.copyOf(f.backend.logins()));
    }

    @Test
    void userWithSpacePercentCrLfAndNonAsciiArrivesEscaped() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend()));
        String user = new String("jö rg%\r\nx".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        try (RawClient c = connect()) {
            // a literal carries any byte; the proxy must not let CR LF reach the header block
            c.send("a1 LOGIN {" + user.length() + "+}\r\n" + user + " pw\r\n").expect("a1 OK");
            logout(c, "a2");
        }
        AuthServer.Request r = f.auth.last();
        assertEquals("j\u00c3\u00b6%20rg%25%0D%0Ax", r.header("Auth-User"));
        assertEquals("jö rg%\r\nx", new String(r.unescaped("Auth-User"), StandardCharsets.UTF_8));
    }

    @Test
    void authenticatePlainAndLoginReportMethodPlain() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend()));
        try (RawClient c = connect()) {
            c.line("a1 AUTHENTICATE PLAIN " + Sasl.plain("bob", "pw1")).expect("a1 OK");
            logout(c, "a2");
        }
        try (RawClient c = connect()) {
            c.line("a1 AUTHENTICATE LOGIN").expect("+ VXNlcm5hbWU6");
            c.line(b64("carol")).expect("+ UGFzc3dvcmQ6");
            c.line(b64("pw2")).expect("a1 OK");
            logout(c, "a2");
        }
        List<AuthServer.Request> rs = f.auth.requests();
        assertEquals(List.of("plain", "plain"), rs.stream().map(r -> r.header("Auth-Method")).toList());
        assertEquals(List.of("bob", "carol"), rs.stream().map(r -> r.header("Auth-User")).toList());
        assertEquals(List.of("bob pw1", "carol pw2"), List.copyOf(f.backend.logins()));
    }

    /** RFC 2195 §2's own exchange shape: "+ " base64 challenge, response base64 "user digest". */
    @Test
    void cramMd5SendsDigestAndSaltAndLogsInWithAuthPass() throws Exception {
        f.start(AuthServer.start(AuthServer.knowingSecret("tanstaaftanstaaf", f.toBackend())));
        try (RawClient c = connect()) {
            c.line("a1 AUTHENTICATE CRAM-MD5");
            String challenge = Sasl.cramMd5(c, "+ ", "tim", "tanstaaftanstaaf");
            c.expect("a1 OK");
            assertTrue(challenge.matches("<[0-9]+\\.[0-9]+@proxy\\.example\\.test>"), challenge);
            logout(c, "a2");
            f.auth.last().assertHeaders("""
                    Auth-Method: cram-md5
                    Auth-User: tim
                    Auth-Salt: %s
                    Auth-Protocol: imap
                    """.formatted(challenge));
        }
        assertEquals(List.of("tim tanstaaftanstaaf"), List.copyOf(f.backend.logins()));
    }

    @Test
    void errorWithWaitLetsTheClientRetryAndCountsTheAttempt() throws Exception {
        f.start(AuthServer.start(r -> r.header("Auth-Login-Attempt").equals("1")
                ? AuthServer.error("Invalid login or password").with("Auth-Wait", "1") : f.toBackend()));
        try (RawClient c = connect()) {
            c.line("a1 LOGIN bob wrong").expect("a1 NO [AUTHENTICATIONFAILED] Invalid login or password");
            c.line("a2 LOGIN bob right").expect("a2 OK");
            logout(c, "a3");
        }
        assertEquals(List.of("1", "2"), f.auth.requests().stream().map(r -> r.header("Auth-Login-Attempt")).toList());
    }

    @Test
    void errorWithoutWaitRepliesAndCloses() throws Exception {
        f.start(AuthServer.start(r -> AuthServer.error("Account disabled")));
        try (RawClient c = connect()) {
            c.transcript("""
                    C: a1 LOGIN bob pw
                    S: a1 NO [AUTHENTICATIONFAILED] Account disabled...
                    S: * BYE...
                    S closes
                    """);
        }
    }

    @Test
    void waitDoesNotCountAnAttempt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        f.start(AuthServer.start(r -> calls.incrementAndGet() == 1
                ? AuthServer.answer().with("Auth-Status", "WAIT").with("Auth-Wait", "0") : f.toBackend()));
        try (RawClient c = connect()) {
            c.line("a1 LOGIN bob pw").expect("a1 OK");
            logout(c, "a2");
        }
        assertEquals(List.of("1", "1"), f.auth.requests().stream().map(r -> r.header("Auth-Login-Attempt")).toList());
    }

    @Test
    void authServerDownIsUnavailableAndClose() throws Exception {
        f.startProxy("http://127.0.0.1:" + FreePorts.closedPort() + "/auth");
        try (RawClient c = connect()) {
            c.transcript("""
                    C: a1 LOGIN bob pw
                    S: a1 NO [UNAVAILABLE]...
                    S: * BYE...
                    S closes
                    """);
        }
        assertEquals(0, f.backend.accepted());
    }
}
