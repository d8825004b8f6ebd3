package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FuzzInputs;
import mailproxy.testing.FuzzRun;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;

/**
 * What the abuse tests measure about this JVM and the proxy in it: open file descriptors,
 * platform threads (virtual threads are not counted by the thread MX bean, so sessions are
 * counted by their log lines instead), live sessions, and what the log says.
 */
final class Probes {
    private Probes() {}

    /** Lines that mean a bug or an unhandled case: a stack trace, an internal error, "a bug". */
    private static final List<String> BUG_MARKERS = List.of("a bug", "Exception", "internal-error", "\tat ", "Error:");

    /** The proxy with three listeners (names imap, pop3, smtp) on the fake backends, under {@code keys}. */
    static TestProxy proxy(FakeBackends.Trio mail, String keys) throws Exception {
        return TestProxy.start(config(mail, keys, ""));
    }

    /** The config of {@link #proxy}; {@code listenerKeys} are added to every listener. */
    static String config(FakeBackends.Trio mail, String keys, String listenerKeys) {
        String extra = listenerKeys.isEmpty() ? "" : ", " + listenerKeys;
        return """
                mailproxy {
                  %s
                  routers { r { type = static, default = b } }
                  default-router = r
                  listeners = [
                    { name = imap, protocol = imap, listen = "127.0.0.1:0"%s },
                    { name = pop3, protocol = pop3, listen = "127.0.0.1:0"%s },
                    { name = smtp, protocol = smtp, listen = "127.0.0.1:0"%s } ]
                }
                mailproxy { %s }
                """.formatted(mail.backendConfig(), extra, extra, extra, keys);
    }

    /** How long a fuzzed session may take to end by itself. */
    static final Duration SESSION_END = Duration.ofSeconds(20);

    static long openFds() {
        return FuzzRun.openFds();
    }

    static int platformThreads() {
        return FuzzRun.platformThreads();
    }

    /**
     * The fuzz rules of {@link PreAuthFuzzTest} for one protocol's listener: {@code count}
     * inputs, each on its own connection, then the client's half-close; every session ends
     * by itself within {@code end}, none logs a bug, and afterwards the proxy holds no more
     * descriptors or platform threads than before (20 inputs warm it up first).
     */
    static void fuzz(TestProxy p, LogCapture log, String protocol, long seed, int count, Duration end) throws Exception {
        InetSocketAddress address = p.address(protocol);
        // warm up: class loading, the first TLS context use, carrier threads
        for (int i = 0; i < 20; i++) FuzzRun.exchange(address, FuzzInputs.input(protocol, new Random(i)), end);
        awaitNoSessions(p, end);
        long fds = openFds();
        int threads = platformThreads();

        List<String> failures = FuzzRun.all(address, seed, count, end, r -> FuzzInputs.input(protocol, r));
        assertEquals(List.of(), failures, "seed " + seed + ": inputs whose session did not end");
        awaitNoSessions(p, end);
        awaitSessionLines(log, protocol, 20 + count, end);
        assertEquals(List.of(), bugLines(log.text()), "seed " + seed + ": the log shows a bug");
        awaitFdsAtMost(fds + 10, fds, Duration.ofSeconds(5));
        int after = platformThreads();
        assertTrue(after <= threads + 4, "platform threads before " + threads + ", after " + after);
    }

    /** Waits (bounded) until the proxy has no live session; fails with the count if it keeps one. */
    static void awaitNoSessions(TestProxy p, Duration within) throws InterruptedException {
        p.noSessionsWithin(within);
        assertEquals(0, p.activeSessions(), "sessions still open after " + within);
    }

    /** Session log lines ("INFO session - imap id=...") of a protocol in the captured log. */
    static int sessionLines(String log, String protocol) {
        int n = 0;
        String needle = " session - " + protocol.toLowerCase(Locale.ROOT) + " id=";
        for (String line : log.split("\n")) if (line.contains(needle)) n++;
        return n;
    }

    /** Waits (bounded) until the log holds {@code expected} session lines of {@code protocol}; a session line comes after its permit is back. */
    static void awaitSessionLines(LogCapture log, String protocol, int expected, Duration within) throws InterruptedException {
        Await.until(within, () -> sessionLines(log.text(), protocol) >= expected);
        assertEquals(expected, sessionLines(log.text(), protocol), protocol + " session lines, one per connection");
    }

    /** The lines of {@code log} that show a bug: must be none. */
    static List<String> bugLines(String log) {
        List<String> bad = new ArrayList<>();
        for (String line : log.split("\n")) {
            for (String marker : BUG_MARKERS) {
                if (line.contains(marker)) {
                    bad.add(line);
                    break;
                }
            }
        }
        return bad;
    }

    /** A client socket from a given loopback source address (127.0.0.2, ...), as another host would be. */
    static RawClient connectFrom(String sourceIp, InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(sourceIp, 0));
        s.connect(to, 5000);
        return new RawClient(s);
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) n++;
        return n;
    }

    static String hex(byte[] b, int max) {
        return FuzzRun.hex(b, max);
    }

    /** Waits (bounded) until the process holds at most {@code limit} descriptors: they close a moment after the sockets' last reads. */
    static void awaitFdsAtMost(long limit, long before, Duration within) {
        Await.until(within, () -> openFds() <= limit);
        long after = openFds();
        assertTrue(after <= limit, "open descriptors before " + before + ", after " + after);
    }

    static void sleep(Duration d) {
        try {
            Await.pause(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
