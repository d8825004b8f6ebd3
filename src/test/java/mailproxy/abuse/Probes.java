package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
    static TestProxy proxy(FakeMail mail, String keys) throws Exception {
        return TestProxy.start(config(mail, keys, ""));
    }

    /** The config of {@link #proxy}; {@code listenerKeys} are added to every listener. */
    static String config(FakeMail mail, String keys, String listenerKeys) {
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

    static long openFds() {
        String[] fds = new File("/proc/self/fd").list();
        if (fds == null) fail("/proc/self/fd is not readable");
        return fds.length;
    }

    /** Live platform threads (the JVM's own, carriers, pools); virtual threads are not among them. */
    static int platformThreads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /** Waits (bounded) until the proxy has no live session; fails with the count if it keeps one. */
    static void awaitNoSessions(TestProxy p, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (p.activeSessions() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
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
        long deadline = System.nanoTime() + within.toNanos();
        while (sessionLines(log.text(), protocol) < expected && System.nanoTime() < deadline) Thread.sleep(20);
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
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, max); i++) s.append(String.format("%02x", b[i] & 0xff));
        return s + (b.length > max ? "... (" + b.length + " bytes)" : "");
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
