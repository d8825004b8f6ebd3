package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 19: limits.timeout is per command, so a client that sends NOOP every half timeout
 * kept a session before login forever. limits.login-lifetime bounds the whole time from
 * accept to the login; past it the protocol's timeout reply, close, outcome=login-timeout.
 */
@Timeout(60)
class LoginLifetimeTest {
    /** timeout 2s, lifetime 3s: a NOOP every half second keeps clear of the timeout, never of the lifetime. */
    private static final String LIMITS = "limits { timeout = 2s, login-lifetime = 3s }";
    private static final int PACE_MILLIS = 500;
    /** Twice the NOOPs that fit in the lifetime: the session must be cut before them. */
    private static final int MAX_NOOPS = 12;

    private static TestProxy proxy(String protocol, int backendPort) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  server-name = mx.test
                  %s
                  backends { store { host = "127.0.0.1", %s { port = %d%s } } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = l, protocol = %s, listen = "127.0.0.1:0" } ]
                }
                """.formatted(LIMITS, protocol, backendPort, protocol.equals("smtp") ? ", auth = plain" : "", protocol));
    }

    /**
     * C: NOOP, S: its answer, then quiet for a while, again and again, until the proxy
     * speaks unasked: that line, which must come while the NOOPs are still answered.
     */
    private static String noopUntilCut(RawClient c, String noop, String answer) throws Exception {
        for (int i = 0; i < MAX_NOOPS; i++) {
            String unasked = c.lineWithin(PACE_MILLIS);
            if (unasked != null) {
                assertTrue(i >= 2, "cut by the per-command timeout, not the lifetime, after " + i + " NOOPs: " + unasked);
                return unasked;
            }
            c.line(noop);
            String got = c.readLine();
            if (!got.startsWith(answer)) return got; // the lifetime ended while the NOOP was on its way
        }
        fail("still open after " + MAX_NOOPS + " NOOPs, each within the timeout");
        return null;
    }

    private static void assertLoggedOutcome(LogCapture log, String protocol) throws InterruptedException {
        String line = log.awaitLine(Duration.ofSeconds(5), " session - " + protocol + " id=", " outcome=");
        assertTrue(line.endsWith(" outcome=login-timeout"), line);
    }

    /** What a client does between connecting and its first NOOP. */
    @FunctionalInterface
    private interface Greeted {
        void await(RawClient c) throws Exception;
    }

    /** NOOP every half timeout keeps no session past the lifetime: the protocol's timeout reply, the close, the outcome. */
    private static void noopIsCutAtTheLifetime(String protocol, Greeted greeted, String noop, String ok, String cut) throws Exception {
        try (LogCapture log = new LogCapture();
             TestProxy proxy = proxy(protocol, FreePorts.closedPort());
             RawClient c = RawClient.connect(proxy.port("l"))) {
            greeted.await(c);
            assertEquals(cut, noopUntilCut(c, noop, ok));
            assertTrue(c.closedByPeer());
            assertLoggedOutcome(log, protocol);
        }
    }

    @Test
    void imapNoopEveryHalfTimeoutIsCutAtTheLifetime() throws Exception {
        noopIsCutAtTheLifetime("imap", c -> c.expect("* OK"), "a NOOP", "a OK", "* BYE Autologout; idle for too long");
    }

    @Test
    void pop3NoopEveryHalfTimeoutIsCutAtTheLifetime() throws Exception {
        noopIsCutAtTheLifetime("pop3", c -> c.expect("+OK"), "NOOP", "+OK", "-ERR Disconnected for inactivity.");
    }

    @Test
    void smtpNoopEveryHalfTimeoutIsCutAtTheLifetime() throws Exception {
        noopIsCutAtTheLifetime("smtp", c -> {
            c.expect("220 ");
            c.line("EHLO client.test");
            c.smtpReply();
        }, "NOOP", "250 ", "421 4.4.2 mx.test Error: timeout exceeded");
    }

    @Test
    void manageSieveNoopEveryHalfTimeoutIsCutAtTheLifetime() throws Exception {
        noopIsCutAtTheLifetime("sieve", c -> {
            for (String l = c.readLine(); !l.startsWith("OK"); l = c.readLine()) {
                // the capability lines of the greeting (RFC 5804 §1.7)
            }
        }, "NOOP", "OK", "BYE \"Disconnected for inactivity.\"");
    }

    /**
     * A client that floods commands and never reads parks the proxy in a write: the write
     * timeout is long here, so only the lifetime ends it (outcome login-timeout, not
     * write-stalled after 30 s).
     */
    @Test
    void aWriteStillBlockedAtTheLifetimeEndsWithIt() throws Exception {
        byte[] flood = "a CAPABILITY\r\n".repeat(50_000).getBytes(StandardCharsets.ISO_8859_1);
        try (LogCapture log = new LogCapture();
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       limits { timeout = 30s, login-lifetime = 2s }
                       backends { store { host = "127.0.0.1", imap { port = %d } } }
                       routers { r { type = static, default = store } }
                       listeners = [ { name = l, protocol = imap, listen = "127.0.0.1:0" } ]
                     }
                     """.formatted(FreePorts.closedPort()));
             Socket s = new Socket()) {
            s.setReceiveBufferSize(2048); // a 2 KB window, never read
            s.connect(proxy.address("l"), 5000);
            Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < 200; i++) out.write(flood); // blocks once the proxy stops reading
                } catch (IOException expected) {
                    // the proxy closed the connection
                }
            });
            String line = log.awaitLine(Duration.ofSeconds(15), " session - imap id=", " outcome=");
            assertTrue(line.endsWith(" outcome=login-timeout"), line);
        }
    }

    /** The lifetime ends with the login: a relayed session lives on past it. */
    @Test
    void aLoggedInSessionOutlivesTheLoginLifetime() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend backend = FakeBackends.imap().password("inbox-pass").start();
             TestProxy proxy = proxy("imap", backend.port());
             RawClient c = RawClient.connect(proxy.port("l"))) {
            c.expect("* OK");
            c.line("a LOGIN alice inbox-pass");
            c.expect("a OK");
            assertNull(c.lineWithin(4000), "nothing from either side for longer than the lifetime");
            c.exchange("b NOOP", "b OK", "c LOGOUT", "* BYE");
        }
    }
}
