package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/** One mailproxy.audit line per login attempt, with every field, and never the password. */
class AuditLogTest {
    private static final Pattern AUDIT = Pattern.compile(
            " audit - time=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z session=(\\S+) (.*)$");

    @Test
    void aFailedASuccessfulARejectedAndAMalformedAttempt() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend backend = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       backends { store { host = "127.0.0.1", imap { port = %d } } }
                       routers { r { type = static, domains { "example.org" = store } } }
                       listeners = [ { name = mail, protocol = imap, listen = "127.0.0.1:0" } ]
                     }
                     """.formatted(backend.port()));
             RawClient c = RawClient.connect(proxy.port("mail"))) {
            c.expect("* OK");
            c.line("a1 AUTHENTICATE PLAIN");
            c.expect("+");
            c.line("not base64!");
            c.expect("a1 BAD");
            c.line("a2 LOGIN nobody@elsewhere.test secret");
            c.expect("a2 NO");
            c.line("a3 LOGIN alice@example.org wrong-password");
            c.expect("a3 NO");
            c.line("a4 LOGIN alice@example.org secret");
            c.expect("a4 OK");
            c.line("a5 LOGOUT");
            c.expect("* BYE");
            String sessionLine = log.awaitLine(Duration.ofSeconds(5), "user=alice@example.org", "outcome=");
            String id = sessionLine.replaceAll(".* id=(\\S+) .*", "$1");
            int backendPort = backend.port();
            String client = "client=127.0.0.1:" + c.socket().getLocalPort();
            List<String> expected = List.of(
                    "protocol=imap listener=mail " + client + " user=- mechanism=plain sasl=PLAIN verdict=- backend=- result=failed reason=sasl-malformed",
                    "protocol=imap listener=mail " + client + " user=nobody@elsewhere.test mechanism=plain sasl=- verdict=reject backend=- "
                            + "result=failed reason=rejected message=\"Authentication failed.\"",
                    "protocol=imap listener=mail " + client + " user=alice@example.org mechanism=plain sasl=- verdict=ok "
                            + "backend=127.0.0.1:" + backendPort + " route=hash result=failed reason=backend-refused",
                    "protocol=imap listener=mail " + client + " user=alice@example.org mechanism=plain sasl=- verdict=ok "
                            + "backend=127.0.0.1:" + backendPort + " route=hash result=success");
            List<String> lines = new java.util.ArrayList<>();
            for (String l : log.text().split("\n")) {
                Matcher m = AUDIT.matcher(l);
                if (m.find()) {
                    assertEquals(id, m.group(2), l);
                    lines.add(m.group(3));
                }
            }
            assertEquals(String.join("\n", expected), String.join("\n", lines));
            assertFalse(log.text().contains("wrong-password"), "a password in the log");
            assertFalse(log.text().contains(" secret"), "a password in the log");
            assertTrue(sessionLine.matches(".* session - imap id=\\S+ client=127\\.0\\.0\\.1:\\d+ user=alice@example\\.org "
                    + "backend=127\\.0\\.0\\.1:\\d+ up=\\d+ down=\\d+ ms=\\d+ outcome=(backend|client)-closed"),
                    "the session line stays as it was: " + sessionLine);
        }
    }

    /**
     * mechanism= is what auth_http's Auth-Method says (plain for any password), sasl= the
     * mechanism the client named: AUTHENTICATE LOGIN is told apart from the LOGIN command.
     */
    @Test
    void theSaslMechanismTheClientNamedBesideTheAuthMethod() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend backend = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       backends { store { host = "127.0.0.1", imap { port = %d } } }
                       routers { r { type = static, default = store } }
                       listeners = [ { name = mail, protocol = imap, listen = "127.0.0.1:0" } ]
                     }
                     """.formatted(backend.port()));
             RawClient c = RawClient.connect(proxy.port("mail"))) {
            c.expect("* OK");
            c.line("a0 AUTHENTICATE LOGIN");
            c.expect("+ VXNlcm5hbWU6");        // "Username:"
            c.line("not base64!");
            c.expect("a0 BAD");
            String malformed = log.awaitLine(Duration.ofSeconds(5), " audit - ", "reason=sasl-malformed");
            assertTrue(malformed.contains(" user=- mechanism=plain sasl=LOGIN verdict=- "), malformed);
            c.line("a1 AUTHENTICATE LOGIN");
            c.expect("+ VXNlcm5hbWU6");        // "Username:"
            c.line("YWxpY2U=");                // alice
            c.expect("+ UGFzc3dvcmQ6");        // "Password:"
            c.line("d3Jvbmc=");                // wrong
            c.expect("a1 NO");
            c.line("a2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==");
            c.expect("a2 OK");
            c.line("a3 LOGOUT");
            c.expect("* BYE");
            String failed = log.awaitLine(Duration.ofSeconds(5), " audit - ", "reason=backend-refused");
            assertTrue(failed.contains(" user=alice mechanism=plain sasl=LOGIN verdict=ok "), failed);
            String success = log.awaitLine(Duration.ofSeconds(5), " audit - ", "result=success");
            assertTrue(success.contains(" user=alice mechanism=plain sasl=PLAIN verdict=ok "), success);
        }
    }
}
