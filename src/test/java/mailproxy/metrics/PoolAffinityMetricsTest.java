package mailproxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 21's affinity metrics as Prometheus reads them (README, "Why a user stays on one
 * server"): mailproxy_pool_assignments counts the users held, and
 * mailproxy_pool_assignment_moves_total counts each assignment given up by its reason: drain,
 * down and ttl here (move and rebalance: pool.MoveDovecotTest).
 */
@Timeout(60)
class PoolAffinityMetricsTest {
    private static final String PASSWORD = "metrics-pw";
    private static final String ASSIGNED = "mailproxy_pool_assignments{pool=\"stores\"} ";

    private static String moves(String reason) {
        return "mailproxy_pool_assignment_moves_total{pool=\"stores\",reason=\"" + reason + "\"} ";
    }

    private static String scrape(TestProxy p) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            p.server().metrics().write(b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static void awaitMetric(TestProxy p, String line) {
        try {
            Await.until(Duration.ofSeconds(15), line, () -> scrape(p).contains(line));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " in\n" + scrape(p).lines()
                    .filter(l -> l.startsWith("mailproxy_pool")).collect(java.util.stream.Collectors.joining("\n")), e);
        }
    }

    /** The proxy saw the client go: the user's sessions are given back before his next login. */
    private static void sessionsEnded(TestProxy p) {
        Await.until(Duration.ofSeconds(5), "no session open", () -> p.activeSessions() == 0);
    }

    /** C: a LOGIN as bob; the session stays open for the caller. */
    private static RawClient login(TestProxy p) throws IOException {
        RawClient c = RawClient.connect(p.port("imap"));
        c.expect("* OK");
        c.exchange("a LOGIN bob " + PASSWORD, "a OK");
        return c;
    }

    /** The fake that took bob's login just answered (health checks connect too, but never log in). */
    private static FakeBackend serverOf(FakeBackend one, FakeBackend two) {
        // the backend saw the login before its OK reached the client
        boolean first = one.logins().poll() != null;
        boolean second = two.logins().poll() != null;
        assertTrue(first != second, "one backend saw the login: " + first + " " + second);
        return first ? one : two;
    }

    @Test
    void assignmentsAndMovesByReasonAsPrometheusReadsThem() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend one = FakeBackends.imap().accept("bob", PASSWORD).start();
             FakeBackend two = FakeBackends.imap().accept("bob", PASSWORD).start();
             TestProxy p = TestProxy.start("""
                     mailproxy {
                       limits { greeting-timeout = 1s, connect-timeout = 1s }
                       backends { stores {
                         servers = [ { host = "127.0.0.1", imap-port = %d }, { host = "127.0.0.1", imap-port = %d } ]
                         imap { port = 143 }
                         health { interval = 200ms, rise = 1, fall = 1, timeout = 1s }
                         affinity-ttl = 3s
                       } }
                       routers { r { type = static, default = stores } }
                       listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                     }""".formatted(one.port(), two.port()))) {
            // held: one user assigned
            FakeBackend home;
            try (RawClient held = login(p)) {
                home = serverOf(one, two);
                assertTrue(scrape(p).contains(ASSIGNED + "1.0"), scrape(p));
                // drained while his session is open: he keeps it, and the assignment with it
                p.server().drain("127.0.0.1:" + home.port());
                held.exchange("b NOOP", "b OK");
            }
            sessionsEnded(p);
            FakeBackend other = home == one ? two : one;
            // his next login finds his server draining: the assignment is given up for that
            login(p).close();
            assertEquals(other, serverOf(one, two));
            sessionsEnded(p);
            awaitMetric(p, moves("drain") + "1.0");
            p.server().undrain("127.0.0.1:" + home.port());

            // his server now goes down, and the checks see it: the next login gives it up for that
            other.close();
            log.awaitLine(Duration.ofSeconds(10), "pool stores server 127.0.0.1:" + other.port() + " imap down");
            login(p).close();
            assertEquals(home, serverOf(one, two));
            awaitMetric(p, moves("down") + "1.0");
            assertTrue(scrape(p).contains(ASSIGNED + "1.0"), scrape(p));

            // no session for affinity-ttl: forgotten
            awaitMetric(p, moves("ttl") + "1.0");
            assertTrue(scrape(p).contains(ASSIGNED + "0.0"), scrape(p));
        }
    }
}
