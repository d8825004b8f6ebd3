package mailproxy.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.Sasl;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** After sessions end nothing is left open, and no password ever reaches a log. */
@Timeout(60)
class NoLeaksTest {
    private static final String PASSWORD = "Tr0ub4dor&3-do-not-log";

    private static FakeBackend backend() throws Exception {
        return FakeBackends.pop3().accept("bob", PASSWORD).start();
    }

    private static TestProxy proxy(int port) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  backends { b { host = "127.0.0.1", pop3 { port = %d } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" } ]
                }""".formatted(port));
    }

    private static long openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    @Test
    void socketsAreClosedWhateverWayASessionEnds() throws Exception {
        try (FakeBackend b = backend(); TestProxy p = proxy(b.port())) {
            // warm up class loading and the first connections
            try (RawClient c = RawClient.connect(p.port("pop3"))) {
                c.expect("+OK");
            }
            waitForNoSessions(p);
            long before = openFds();
            for (int i = 0; i < 30; i++) {
                try (RawClient c = RawClient.connect(p.port("pop3"))) {
                    c.expect("+OK");
                    switch (i % 3) {
                        case 0 -> { // relayed, then client quits
                            c.line("USER bob");
                            c.expect("+OK");
                            c.line("PASS " + PASSWORD);
                            c.expect("+OK Logged in.");
                            c.line("QUIT");
                        }
                        case 1 -> { // refused by the backend, client hangs up
                            c.line("USER bob");
                            c.expect("+OK");
                            c.line("PASS wrong");
                            c.expect("-ERR");
                        }
                        default -> { // client resets mid-dialogue
                            c.socket().setSoLinger(true, 0);
                        }
                    }
                }
            }
            waitForNoSessions(p);
            long after = openFds();
            assertTrue(after <= before + 2, "open fds before " + before + ", after " + after);
        }
    }

    @Test
    void passwordsNeverReachTheLog() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (FakeBackend b = backend(); TestProxy p = proxy(b.port())) {
            try (RawClient c = RawClient.connect(p.port("pop3"))) {
                c.expect("+OK");
                c.line("USER bob");
                c.expect("+OK");
                c.line("PASS " + PASSWORD + "x"); // refused
                c.expect("-ERR");
                c.line("AUTH PLAIN " + Sasl.plain("bob", PASSWORD));
                c.expect("+OK Logged in.");
                c.line("QUIT");
            }
            waitForNoSessions(p);
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("user=bob"), "the session line is there: " + log);
        assertFalse(log.contains(PASSWORD), log);
    }

    private static void waitForNoSessions(TestProxy p) {
        assertTrue(p.noSessionsWithin(Duration.ofSeconds(5)), "sessions still open: " + p.activeSessions());
    }
}
