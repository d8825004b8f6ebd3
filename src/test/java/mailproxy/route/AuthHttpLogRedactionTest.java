package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An auth server answering a malformed header line must not put that line's value in the
 * log: with "Auth-Pass : value" (a space before the colon) the value is a password.
 */
@Timeout(30)
class AuthHttpLogRedactionTest {
    private static final String SECRET = "s3cret-value";

    @ParameterizedTest
    @ValueSource(strings = {
        "Auth-Pass : " + SECRET,       // RFC 9112 §5.1: no white space between name and colon
        "auth-pass\t: " + SECRET,
        " " + SECRET,                  // an obs-fold continuation of the line before
        "Auth-Pass " + SECRET,         // no colon at all
    })
    void malformedHeaderValueNeverReachesTheLog(String badLine) throws Exception {
        String answer = "HTTP/1.1 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 9\r\n"
                + badLine + "\r\nContent-Length: 0\r\n\r\n";
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (ScriptedServer auth = new ScriptedServer(peer -> {
                 for (int i = 0; i < 100; i++) {
                     String l = peer.readLine();
                     if (l == null || l.isEmpty()) break;
                 }
                 peer.send(answer);
                 peer.closedByPeer();
             });
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       routers { auth { type = auth-http, url = "http://127.0.0.1:%d/auth", timeout = 5s } }
                       listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" } ]
                     }""".formatted(auth.port()))) {
            try (RawClient c = RawClient.connect(proxy.port("pop3"))) {
                c.expect("+OK");
                c.line("USER bob");
                c.expect("+OK");
                c.line("PASS client-password");
                c.expect("-ERR [SYS/TEMP]");
            }
            waitForNoSessions(proxy);
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("malformed response"), log);
        assertFalse(log.contains(SECRET), log);
        assertFalse(log.contains("client-password"), log);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Auth-Pass : " + SECRET, " " + SECRET, SECRET, "x:" + SECRET + " : y"})
    void redactedShowsAtMostTheHeaderName(String line) {
        String shown = AuthHttpResponseReader.redacted(line);
        assertFalse(shown.contains(SECRET), shown);
    }

    private static void waitForNoSessions(TestProxy p) throws InterruptedException {
        p.noSessionsWithin(java.time.Duration.ofSeconds(5));
    }
}
