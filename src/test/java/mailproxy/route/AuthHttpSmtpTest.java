package mailproxy.route;

import static mailproxy.testing.Sasl.b64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import mailproxy.testing.RawClient;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.Sasl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SMTP through the proxy with an auth_http router: submission AUTH, CRAM-MD5, MX mode's Auth-SMTP-*. */
@Timeout(30)
class AuthHttpSmtpTest {
    @RegisterExtension
    final AuthHttpFixture f = new AuthHttpFixture(FakeBackends.smtp(), "smtp { port = 1, auth = plain }", """
            { name = submission, protocol = smtp, listen = "127.0.0.1:0", auth = [plain, login, cram-md5] }
            { name = mx, protocol = smtp, listen = "127.0.0.1:0", smtp-mode = mx }
            """);

    private RawClient connect(String listener) throws Exception {
        RawClient c = RawClient.connect(f.proxy.port(listener));
        c.expect("220 proxy.example.test");
        c.line("EHLO client.example");
        for (String l = c.readLine(); l != null && l.startsWith("250-"); l = c.readLine()) { /* capabilities */ }
        return c;
    }

    private static void quit(RawClient c) throws Exception {
        c.line("QUIT").expect("221");
    }

    @Test
    void authPlainSendsEveryHeaderAndTheBackendGetsTheOverride() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend().with("Auth-User", "bob").with("Auth-Pass", "real secret")));
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + Sasl.plain("alias@example.test", "any thing")).expect("235 2.7.0");
            quit(c);
            // Auth-SMTP-Helo only in MX mode
            f.auth.last().assertHeaders(AuthHttpFixture.ALIAS_LOGIN + """
                    Auth-Protocol: smtp
                    Client-Port: %d
                    Client-Host: [UNAVAILABLE]
                    no Auth-Salt
                    no Auth-SMTP-Helo
                    """.formatted(c.socket().getLocalPort()));
        }
        assertEquals("bob real secret", f.backend.nextLogin());
    }

    @Test
    void authLoginReportsPlain() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend()));
        try (RawClient c = connect("submission")) {
            c.transcript(Sasl.smtpAuthLogin(b64("carol"), b64("pw")));
            quit(c);
        }
        f.auth.last().assertHeaders("""
                Auth-Method: plain
                Auth-User: carol
                """);
        assertEquals("carol pw", f.backend.nextLogin());
    }

    @Test
    void cramMd5SendsDigestAndSaltAndTheBackendGetsAuthPass() throws Exception {
        f.start(AuthServer.start(AuthServer.knowingSecret("tanstaaftanstaaf", f.toBackend())));
        try (RawClient c = connect("submission")) {
            c.line("AUTH CRAM-MD5");
            String challenge = Sasl.cramMd5(c, "334 ", "tim", "tanstaaftanstaaf");
            c.expect("235");
            assertTrue(challenge.matches("<[0-9]+\\.[0-9]+@proxy\\.example\\.test>"), challenge);
            quit(c);
            f.auth.last().assertHeaders("""
                    Auth-Method: cram-md5
                    Auth-User: tim
                    Auth-Salt: %s
                    """.formatted(challenge));
        }
        assertEquals("tim tanstaaftanstaaf", f.backend.nextLogin());
    }

    @Test
    void mxModeSendsMethodNoneAndTheEnvelope() throws Exception {
        f.start(AuthServer.start(r -> f.toBackend()));
        try (RawClient c = connect("mx")) {
            c.line("MAIL FROM:<a@x.example> SIZE=100").expect("250");
            c.line("RCPT TO:<b@y.example>").expect("250 2.1.5");
            quit(c);
        }
        f.auth.last().assertHeaders(AuthHttpFixture.MX_HEADERS);
        assertTrue(f.backend.received().containsAll(List.of("MAIL FROM:<a@x.example> SIZE=100", "RCPT TO:<b@y.example>")),
                f.backend.received().toString());
    }

    @Test
    void errorCodeFromTheAuthServerAndRetryWithWait() throws Exception {
        f.start(AuthServer.start(r -> r.header("Auth-Login-Attempt").equals("1")
                ? AuthServer.error("Invalid login or password").with("Auth-Wait", "1").with("Auth-Error-Code", "535 5.7.8")
                : AuthServer.error("Too many attempts").with("Auth-Error-Code", "454 4.7.0")));
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + Sasl.plain("bob", "wrong")).expect("535 5.7.8 Invalid login or password");
            c.line("AUTH PLAIN " + Sasl.plain("bob", "again")).expect("454 4.7.0 Too many attempts");
            assertTrue(c.closedByPeer());
        }
        assertEquals(List.of("1", "2"), f.auth.requests().stream().map(r -> r.header("Auth-Login-Attempt")).toList());
    }

    @Test
    void errorWithoutCodeUsesTheDefault() throws Exception {
        f.start(AuthServer.start(r -> AuthServer.error("Invalid login or password")));
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + Sasl.plain("bob", "wrong")).expect("535 5.7.8 Invalid login or password");
        }
    }

    @Test
    void authServerDownIsATemporaryFailureAndClose() throws Exception {
        f.startProxy("http://127.0.0.1:" + FreePorts.closedPort() + "/auth");
        try (RawClient c = connect("submission")) {
            c.line("AUTH PLAIN " + Sasl.plain("bob", "pw")).expect("421 4.3.0");
            assertTrue(c.closedByPeer());
        }
        assertEquals(0, f.backend.accepted());
    }
}
