package mailproxy.route;

import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.config.Protocol;
import org.junit.jupiter.api.Test;

/** max-fails within fail-window → down for fail-timeout → back; on a hand-moved clock. */
class PassiveMarkingTest {
    private final PoolFixtures.Clock clock = new PoolFixtures.Clock();

    private PoolServer server(String keys) {
        Pool p = Pools.build(stores("servers = [ { host = \"10.0.0.1\" }, { host = \"10.0.0.2\" } ]\nimap { }\npop3 { }\n"
                + "health { interval = 0s }\n" + keys), null, clock).get("stores");
        return p.servers().get(0);
    }

    @Test
    void maxFailsWithinTheWindowTakeItDownForTheTimeout() {
        PoolServer s = server("max-fails = 2, fail-window = 10s, fail-timeout = 30s");
        s.failed(Protocol.IMAP, "connect refused");
        assertTrue(s.up(Protocol.IMAP), "one failure of two");
        clock.advance(Duration.ofSeconds(11));
        s.failed(Protocol.IMAP, "connect refused");
        assertTrue(s.up(Protocol.IMAP), "the first one is out of the window");
        clock.advance(Duration.ofSeconds(9));
        String log = logOf(() -> s.failed(Protocol.IMAP, "greeting timeout"));
        assertFalse(s.up(Protocol.IMAP));
        assertTrue(log.contains("pool stores server 10.0.0.1:143 imap down for 30s: 2 failures in 10s (greeting timeout)"), log);
        assertTrue(s.up(Protocol.POP3), "another port");
        clock.advance(Duration.ofSeconds(29));
        assertFalse(s.up(Protocol.IMAP));
        clock.advance(Duration.ofSeconds(1));
        log = logOf(() -> assertTrue(s.up(Protocol.IMAP)));
        assertTrue(log.contains("pool stores server 10.0.0.1:143 imap up: fail-timeout 30s over"), log);
        s.failed(Protocol.IMAP, "connect refused");
        assertTrue(s.up(Protocol.IMAP), "the history was cleared: one failure again");
    }

    @Test
    void defaultIsOneFailureTenSeconds() {
        PoolServer s = server("");
        String log = logOf(() -> s.failed(Protocol.IMAP, "greeting timeout"));
        assertTrue(log.contains("pool stores server 10.0.0.1:143 imap down for 10s: 1 failure in 10s (greeting timeout)"), log);
        downFor(s, Duration.ofMillis(9999), Duration.ofMillis(1));
    }

    @Test
    void failingAgainWhileDownKeepsItDown() {
        PoolServer s = server("fail-timeout = 10s");
        s.failed(Protocol.IMAP, "x");
        clock.advance(Duration.ofSeconds(8));
        s.failed(Protocol.IMAP, "tried as a last resort, failed again");
        downFor(s, Duration.ofSeconds(8), Duration.ofSeconds(2));
    }

    @Test
    void successForgivesAndLiftsADown() {
        PoolServer s = server("max-fails = 2");
        s.failed(Protocol.IMAP, "x");
        s.succeeded(Protocol.IMAP);
        s.failed(Protocol.IMAP, "x");
        assertTrue(s.up(Protocol.IMAP), "the success reset the count");
        s.failed(Protocol.IMAP, "x");
        assertFalse(s.up(Protocol.IMAP));
        s.succeeded(Protocol.IMAP);
        assertTrue(s.up(Protocol.IMAP), "a login went through after all");
    }

    @Test
    void maxFailsZeroNeverMarks() {
        PoolServer s = server("max-fails = 0");
        for (int i = 0; i < 100; i++) s.failed(Protocol.IMAP, "x");
        assertTrue(s.up(Protocol.IMAP));
    }

    /** Still down (IMAP) once {@code still} has passed, up again after {@code more}. */
    private void downFor(PoolServer s, Duration still, Duration more) {
        clock.advance(still);
        assertFalse(s.up(Protocol.IMAP));
        clock.advance(more);
        assertTrue(s.up(Protocol.IMAP));
    }

    /** What the pool logger printed (slf4j-simple writes to System.err) while {@code r} ran. */
    static String logOf(Runnable r) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }
}
