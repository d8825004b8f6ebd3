package mailproxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import mailproxy.config.AdminConfig;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FuzzInputs;
import mailproxy.testing.FuzzRun;
import mailproxy.testing.LogCapture;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded garbage at the admin listener's request parser (the JDK HTTP server's, then
 * {@link RequestCheck}, {@link Query} and {@link Routes}), as {@code PreAuthFuzzTest} does
 * for the mail protocols: requests that parse, mutated (bytes flipped, inserted, cut,
 * spliced, see {@link FuzzInputs}), random bytes and hand-picked nasty cases (overlong
 * request lines and headers, too many headers, lying or conflicting lengths, bad chunks,
 * bad escapes, odd targets and Hosts), each on its own connection followed by the
 * client's half-close. Every connection must end by itself, nothing may log a bug, and
 * afterwards the process holds no more descriptors or platform threads than before.
 *
 * <p>{@code -Dmailproxy.fuzz.seed=N} runs another seed ({@code random} picks one); a
 * failure names the seed of each bad input.
 */
@Timeout(240)
class AdminRequestFuzzTest {
    static final long SEED = FuzzInputs.seed();
    private static final int INPUTS = 800;
    private static final Duration CONNECTION_END = Duration.ofSeconds(20);
    /** Distinctive, so scan-test-output.sh finds it should it ever be printed. */
    private static final String TOKEN = "adm1n-T0ken-Wq8zR3vN5kLp";

    private static final String H = "Host: 127.0.0.1\r\n";
    private static final String ADMIN = "X-Mailproxy-Admin: 1\r\n";

    /** Requests the listener answers with 2xx (with the token where one is configured). */
    static final List<String> VALID = List.of(
            "GET /health/live HTTP/1.1\r\n" + H + "\r\n",
            "GET /health/ready HTTP/1.1\r\nHost: localhost:9090\r\n\r\n",
            "GET /metrics HTTP/1.1\r\n" + H + "Accept: */*\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n",
            "GET /sessions HTTP/1.1\r\nHost: [::1]:9090\r\nConnection: close\r\n\r\n",
            "HEAD /pools HTTP/1.1\r\n" + H + "\r\n",
            "GET /trace HTTP/1.0\r\n" + H + "\r\n",
            "POST /trace?user=fuzz&on=false HTTP/1.1\r\n" + H + ADMIN + "Content-Length: 0\r\n\r\n",
            "POST /trace?client=10.0.0.0%2F8&on=false HTTP/1.1\r\n" + H + ADMIN + "\r\n",
            "POST /drain?server=127.0.0.1:1 HTTP/1.1\r\n" + H + ADMIN + "\r\n",
            "POST /close?user=nobody HTTP/1.1\r\n" + H + ADMIN + "Content-Length: 5\r\n\r\nhello",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "GET /sessions HTTP/1.1\r\n" + H + "Origin: http://127.0.0.1\r\nSec-Fetch-Site: same-origin\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9090\r\nAuthorization: bearer " + TOKEN + "\r\n\r\n");

    /** What a parser author would dread. */
    static final List<String> NASTY = List.of(
            "GET /" + "a".repeat(9000) + " HTTP/1.1\r\n" + H + "\r\n",
            "GET /sessions?x=" + "a".repeat(5000) + " HTTP/1.1\r\n" + H + "\r\n",
            "GET /metrics HTTP/1.1\r\n" + H + "X-A: b\r\n".repeat(60) + "\r\n",
            "GET /metrics HTTP/1.1\r\n" + H + "X-Big: " + "b".repeat(9000) + "\r\n\r\n",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Content-Length: 99999999999999999999\r\n\r\n",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Content-Length: -1\r\n\r\n",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx",
            "POST /reload HTTP/1.1\r\n" + H + ADMIN + "Transfer-Encoding: gzip\r\n\r\n",
            "POST /close?user=x HTTP/1.1\r\n" + H + ADMIN + "Content-Length: 30000\r\n\r\n" + "b".repeat(30000),
            "POST /close?user=x HTTP/1.1\r\n" + H + ADMIN + "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n",
            "\r\n".repeat(2000) + "GET /health/live HTTP/1.1\r\n" + H + "\r\n",
            "GET /health/live HTTP/1.1\n" + "Host: 127.0.0.1\n\n",
            "GET", "GET  HTTP/1.1\r\n\r\n", "GET /\r\n\r\n", " / HTTP/1.1\r\n\r\n", "GET /%zz HTTP/1.1\r\n" + H + "\r\n",
            "GET /sessions?a=%zz HTTP/1.1\r\n" + H + "\r\n", "GET /trace?% HTTP/1.1\r\n" + H + "\r\n",
            "POST /trace?user=%00%0d%0a HTTP/1.1\r\n" + H + ADMIN + "\r\n",
            "POST /trace?client=999.1.1.1/99 HTTP/1.1\r\n" + H + ADMIN + "\r\n",
            "POST /trace?user=x&on=maybe&on HTTP/1.1\r\n" + H + ADMIN + "\r\n",
            "POST /drain?server= HTTP/1.1\r\n" + H + ADMIN + "\r\n", "POST /close?user=%20 HTTP/1.1\r\n" + H + ADMIN + "\r\n",
            "GET mailto:x HTTP/1.1\r\n" + H + "\r\n", "GET * HTTP/1.1\r\n" + H + "\r\n",
            "GET http://evil.example/sessions HTTP/1.1\r\n" + H + "\r\n", "GET //x/../sessions HTTP/1.1\r\n" + H + "\r\n",
            "GET /\u00ff\u00fe HTTP/1.1\r\n" + H + "\r\n", "GET /sessions HTTP/9.9\r\n" + H + "\r\n",
            "GET /sessions HTTP/1.1\r\nHost: [\r\n\r\n", "GET /sessions HTTP/1.1\r\nHost: [::1\r\n\r\n",
            "GET /sessions HTTP/1.1\r\nHost: :\r\n\r\n", "GET /sessions HTTP/1.1\r\nHost: 127.0.0.1:99999999\r\n\r\n",
            "GET /sessions HTTP/1.1\r\nHost: \0\r\n\r\n", "GET /sessions HTTP/1.1\r\n" + H + H + "\r\n",
            "GET /sessions HTTP/1.1\r\nHost: ::1\r\n\r\n", "GET /sessions HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n",
            "GET /sessions HTTP/1.1\r\nHost:\r\n\r\n", "GET /sessions HTTP/1.0\r\n\r\n",
            "GET /sessions HTTP/1.1\r\n" + H + "Origin:\r\nOrigin: null\r\n\r\n",
            "GET /sessions HTTP/1.1\r\n" + H + "Sec-Fetch-Site: \u00ff\r\n\r\n",
            "GET /sessions HTTP/1.1\r\n" + H + "Authorization: Bearer " + "x".repeat(7000) + "\r\n\r\n",
            "GET /sessions HTTP/1.1\r\n" + H + "Authorization: Bearer\r\n\r\n",
            "GET /sessions HTTP/1.1\r\n" + H + "Authorization: Bearer " + TOKEN + "\r\nAuthorization: Bearer x\r\n\r\n",
            "GET /sessions HTTP/1.1\r\n" + H + "X-Folded: a\r\n b\r\n\r\n", "GET /sessions HTTP/1.1\r\nBad Header: x\r\n" + H + "\r\n",
            "GET /sessions HTTP/1.1\r\nX-\0: y\r\n" + H + "\r\n", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "DELETE /sessions HTTP/1.1\r\n" + H + ADMIN + "\r\n",
            "\u0016\u0003\u0001\u0000\u00ff" + "junk".repeat(50),
            "GET /health/live HTTP/1.1\r\n" + H + "\r\nGET /metrics HTTP/1.1\r\n" + H + "\r\nGET /nope HTTP/1.1\r\n" + H + "\r\n");

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "token {0}")
    @ValueSource(booleans = {false, true})
    void everyRequestEndsItsConnectionWithoutABug(boolean token) throws Exception {
        String adminKeys = "";
        if (token) {
            Path f = dir.resolve("token");
            Files.writeString(f, TOKEN + "\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            adminKeys = ", token-file = \"" + f + "\"";
        }
        try (FakeBackend imap = FakeBackends.imap().password("secret").start();
             LogCapture log = new LogCapture();
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       admin { listen = "127.0.0.1:0" %s }
                       backends { store { host = "127.0.0.1", imap { port = %d } } }
                       routers { r { type = static, default = store } }
                       listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                     }
                     """.formatted(adminKeys, imap.port()));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true)) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", admin.address().getPort());
            // warm up: class loading, the JDK server's first exchanges, carrier threads
            for (int i = 0; i < 20; i++) FuzzRun.exchange(address, VALID.get(i % VALID.size()).getBytes(StandardCharsets.ISO_8859_1), CONNECTION_END);
            long fds = FuzzRun.openFds();
            int threads = FuzzRun.platformThreads();

            List<String> failures = FuzzRun.all(address, SEED, INPUTS, CONNECTION_END, r -> FuzzInputs.input(VALID, NASTY, r));
            assertEquals(List.of(), failures, "seed " + SEED + ": inputs whose connection did not end");
            assertEquals(List.of(), bugLines(log.text()), "seed " + SEED + ": the log shows a bug");
            assertTrue(Await.until(Duration.ofSeconds(5), () -> FuzzRun.openFds() <= fds + 10),
                    "open descriptors before " + fds + ", after " + FuzzRun.openFds());
            int after = FuzzRun.platformThreads();
            assertTrue(after <= threads + 4, "platform threads before " + threads + ", after " + after);
            // and it still answers
            assertEquals(null, FuzzRun.exchange(address, VALID.get(0).getBytes(StandardCharsets.ISO_8859_1), CONNECTION_END));
            assertEquals(200, AdminCurl.call(admin, "GET", "/health/live").status());
        }
    }

    /**
     * Slowloris: a client that connects and says nothing, and one that stops in the middle
     * of its request, are cut off by the listener's bounds (30 s for a request to arrive,
     * reference.conf), not held forever.
     */
    @Test
    void aSilentOrStalledClientIsCutOff() throws Exception {
        try (AdminServer admin = AdminServer.start(new AdminConfig(new InetSocketAddress("127.0.0.1", 0), 4096, Set.of(), null),
                () -> null, () -> true);
             Socket silent = new Socket("127.0.0.1", admin.address().getPort());
             Socket stalled = new Socket("127.0.0.1", admin.address().getPort())) {
            stalled.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
            for (Socket s : List.of(silent, stalled)) s.setSoTimeout(70_000);
            try (ExecutorService both = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<?> quiet = both.submit(() -> assertClosed(silent));
                assertClosed(stalled);
                quiet.get(); // rethrows the silent client's failure
            }
        }
    }

    private static void assertClosed(Socket s) {
        try {
            // the bound is the listener's; the read timeout only keeps a broken test from hanging
            assertEquals(-1, s.getInputStream().read(), "the connection is closed unanswered");
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the admin listener held the connection open past the test's read timeout");
        } catch (IOException reset) {
            // a reset is a close too
        }
    }

    /**
     * A connection flood: past {@link AdminServer#MAX_CONNECTIONS} open connections, the
     * next one is closed unanswered at once (not after the 30 s idle bound), so the admin
     * listener cannot eat the descriptors the mail listeners need; once they close, it
     * answers again.
     */
    @Test
    void connectionsPastTheBoundAreClosedUnanswered() throws Exception {
        List<Socket> held = new ArrayList<>();
        byte[] live = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        try (AdminServer admin = AdminServer.start(new AdminConfig(new InetSocketAddress("127.0.0.1", 0), 4096, Set.of(), null),
                () -> null, () -> true)) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", admin.address().getPort());
            try {
                for (int i = 0; i < AdminServer.MAX_CONNECTIONS; i++) held.add(new Socket(address.getAddress(), address.getPort()));
                try (Socket one = new Socket(address.getAddress(), address.getPort())) {
                    one.setSoTimeout(10_000); // well under the 30 s after which an idle connection closes anyway
                    one.getOutputStream().write(live);
                    assertClosed(one);
                }
            } finally {
                for (Socket s : held) s.close();
            }
            assertTrue(Await.until(Duration.ofSeconds(10), () -> {
                try {
                    return AdminCurl.call(admin, "GET", "/health/live").status() == 200;
                } catch (Exception | AssertionError e) {
                    return false;
                }
            }), "it answers again once the flood is gone");
        }
    }

    private static final List<String> BUG_MARKERS = List.of("a bug", "Exception", "\tat ", "WARNING", "SEVERE", TOKEN);

    private static List<String> bugLines(String log) {
        List<String> bad = new ArrayList<>();
        for (String line : log.split("\n")) {
            if (BUG_MARKERS.stream().anyMatch(line::contains)) bad.add(line);
        }
        return bad;
    }
}
