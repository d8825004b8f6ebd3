package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.testing.FuzzInputs;
import mailproxy.testing.LogCapture;
import mailproxy.testing.TestProxy;
import mailproxy.testing.SiteCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded garbage at each protocol's pre-login parser, end to end through the proxy: random
 * bytes, mutated commands and nasty cases (see {@link FuzzInputs}), each sent on its own
 * connection followed by the client's half-close. Every session must end by itself, none
 * may log a bug, and afterwards the proxy holds no more descriptors or platform threads than
 * before. Listeners offer STARTTLS, so junk after it reaches a real TLS handshake.
 *
 * <p>The seed is fixed so a run is reproducible; {@code -Dmailproxy.fuzz.seed=N} runs
 * another one ({@code random} picks one). A failure names the seed of each bad input.
 */
@Timeout(240)
class PreAuthFuzzTest {
    static final long SEED = FuzzInputs.seed();
    private static final int PER_PROTOCOL = 1000;
    /** Connections in flight at once. */
    private static final int AT_ONCE = 8;
    private static final Duration SESSION_END = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    static SiteCertificates certs;

    @BeforeAll
    static void certificates() throws IOException {
        certs = SiteCertificates.shared();
    }


    @ParameterizedTest
    @ValueSource(strings = {"imap", "pop3", "smtp"})
    void everyInputEndsItsSessionWithoutABug(String protocol) throws Exception {
        String keys = """
                limits { timeout = 3s }
                guard { max-connections-per-ip = 0, max-sessions-per-user = 0, auth-delay = 0s, block-after = 0 }
                """;
        try (FakeMail mail = new FakeMail(Map.of("bob", "secret"));
             LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start(Probes.config(mail, keys, "starttls = on, " + certs.listenerTls()))) {
            InetSocketAddress address = p.address(protocol);
            // warm up: class loading, the first TLS context use, carrier threads
            for (int i = 0; i < 20; i++) exchange(address, FuzzInputs.input(protocol, new Random(i)));
            Probes.awaitNoSessions(p, SESSION_END);
            long fds = Probes.openFds();
            int threads = Probes.platformThreads();

            List<String> failures = run(address, protocol);
            assertEquals(List.of(), failures, "seed " + SEED + ": inputs whose session did not end");
            Probes.awaitNoSessions(p, SESSION_END);
            Probes.awaitSessionLines(log, protocol, 20 + PER_PROTOCOL, SESSION_END);
            assertEquals(List.of(), Probes.bugLines(log.text()), "seed " + SEED + ": the log shows a bug");
            awaitAtMost(fds + 10, fds);
            int after = Probes.platformThreads();
            assertTrue(after <= threads + 4, "platform threads before " + threads + ", after " + after);
        }
    }

    /** All inputs of one protocol, {@link #AT_ONCE} connections at a time; the failures. */
    private static List<String> run(InetSocketAddress address, String protocol) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < AT_ONCE; w++) {
            workers.add(Thread.ofVirtual().start(() -> {
                for (int i = next.getAndIncrement(); i < PER_PROTOCOL; i = next.getAndIncrement()) {
                    long seed = FuzzInputs.seed(SEED, i);
                    byte[] input = FuzzInputs.input(protocol, new Random(seed));
                    try {
                        String problem = exchange(address, input);
                        if (problem != null) failures.add("input seed " + seed + ": " + problem + ": " + Probes.hex(input, 120));
                    } catch (IOException e) {
                        failures.add("input seed " + seed + ": " + e + ": " + Probes.hex(input, 120));
                    }
                }
            }));
        }
        for (Thread t : workers) t.join(Duration.ofMinutes(3));
        return new ArrayList<>(failures);
    }

    /**
     * Sends the input, half-closes, reads until the proxy closes; null when it did, else
     * what went wrong. The proxy may close (or reset) before it read everything: that is fine.
     */
    static String exchange(InetSocketAddress address, byte[] input) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, 5000);
            s.setSoTimeout((int) SESSION_END.toMillis());
            try {
                s.getOutputStream().write(input);
                s.shutdownOutput();
            } catch (IOException closedEarly) {
                // the proxy ended the session before reading it all (a limit, max-errors)
            }
            InputStream in = s.getInputStream();
            byte[] sink = new byte[8192];
            try {
                while (in.read(sink) >= 0) {
                    // the proxy's replies: only the end matters here
                }
            } catch (SocketTimeoutException e) {
                return "the proxy did not close within " + SESSION_END;
            } catch (IOException reset) {
                // a reset is a close too
            }
            return null;
        }
    }

    /** Descriptors close a moment after the sockets' last reads: waits a bounded while for them. */
    private static void awaitAtMost(long limit, long before) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (Probes.openFds() > limit && System.nanoTime() < deadline) Thread.sleep(50);
        long after = Probes.openFds();
        assertTrue(after <= limit, "open descriptors before " + before + ", after " + after);
    }
}
