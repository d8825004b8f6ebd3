package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.lmtp.FakeLmtpBackend;
import mailproxy.testing.FuzzInputs;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seeded fuzz of {@link PreAuthFuzzTest} for LMTP and ManageSieve, under the same rules:
 * each input on its own connection, then the client's half-close; every session ends by
 * itself, none logs a bug, and afterwards the proxy holds no more descriptors or platform
 * threads than before. LMTP inputs carry whole transactions, so the message reader, the
 * spool (a 1 KB memory buffer, then files) and two scripted backends get their share; every
 * message a backend got has CRLF line ends only, and no spool file is left behind.
 *
 * <p>{@code -Dmailproxy.fuzz.seed=N} runs another seed ({@code random} picks one).
 */
@Timeout(120)
class LmtpSieveFuzzTest {
    static final long SEED = FuzzInputs.seed();
    private static final int PER_PROTOCOL = 300;
    private static final int AT_ONCE = 8;
    private static final Duration SESSION_END = Duration.ofSeconds(20);

    @TempDir
    Path spool;

    @ParameterizedTest
    @ValueSource(strings = {"lmtp", "sieve"})
    void everyInputEndsItsSessionWithoutABug(String protocol) throws Exception {
        SiteCertificates certs = SiteCertificates.shared();
        try (FakeLmtpBackend one = new FakeLmtpBackend("one"); FakeLmtpBackend two = new FakeLmtpBackend("two");
             ScriptedServer sieve = new ScriptedServer(LmtpSieveFuzzTest::sieveRefusingEveryLogin);
             LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start(config(one.port(), two.port(), sieve.port(), "starttls = on, " + certs.listenerTls()))) {
            InetSocketAddress address = p.address(protocol);
            for (int i = 0; i < 20; i++) PreAuthFuzzTest.exchange(address, FuzzInputs.input(protocol, new Random(i)));
            Probes.awaitNoSessions(p, SESSION_END);
            long fds = Probes.openFds();
            int threads = Probes.platformThreads();

            List<String> failures = run(address, protocol);
            assertEquals(List.of(), failures, "seed " + SEED + ": inputs whose session did not end");
            Probes.awaitNoSessions(p, SESSION_END);
            Probes.awaitSessionLines(log, protocol, 20 + PER_PROTOCOL, SESSION_END);
            assertEquals(List.of(), Probes.bugLines(log.text()), "seed " + SEED + ": the log shows a bug");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (Probes.openFds() > fds + 10 && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(Probes.openFds() <= fds + 10, "open descriptors before " + fds + ", after " + Probes.openFds());
            int after = Probes.platformThreads();
            assertTrue(after <= threads + 4, "platform threads before " + threads + ", after " + after);
            // the inputs reach deep: some whole transactions are delivered, so the message reader was fuzzed too
            if (protocol.equals("lmtp")) assertTrue(log.text().contains(" delivered "), "no input got past DATA");
            for (FakeLmtpBackend b : List.of(one, two)) {
                for (byte[] m : b.messages) assertTrue(crlfOnly(m), "a backend got a bare CR or LF: " + Probes.hex(m, 200));
            }
            try (var left = Files.list(spool)) {
                assertEquals(List.of(), left.filter(f -> f.getFileName().toString().endsWith(".msg")).toList());
            }
        }
    }

    /** A ManageSieve backend (RFC 5804 §1.7 greeting) that answers every AUTHENTICATE with NO. */
    private static void sieveRefusingEveryLogin(RawClient peer) throws Exception {
        peer.send("\"IMPLEMENTATION\" \"fake\"\r\n\"SASL\" \"PLAIN\"\r\n\"SIEVE\" \"fileinto\"\r\nOK \"ready\"\r\n");
        for (String line = peer.readLine(); line != null; line = peer.readLine()) {
            if (line.startsWith("LOGOUT")) {
                peer.line("OK \"bye\"");
                return;
            }
            peer.line(line.startsWith("AUTHENTICATE") ? "NO \"Authentication failed.\"" : "NO \"what?\"");
        }
    }

    private String config(int one, int two, int sieve, String listenerKeys) {
        return """
                mailproxy {
                  limits { timeout = 3s, backend-timeout = 5s }
                  backends {
                    one { host = "127.0.0.1", lmtp { port = %d }, sieve { port = %d } }
                    two { host = "127.0.0.1", lmtp { port = %d } }
                  }
                  routers { r { type = static, default = one, domains { "two.test" = two } } }
                  default-router = r
                  listeners = [
                    { name = lmtp, protocol = lmtp, listen = "127.0.0.1:0", lmtp-memory-buffer = 1k,
                      lmtp-temp-dir = "%s", %s }
                    { name = sieve, protocol = sieve, listen = "127.0.0.1:0", %s } ]
                }
                """.formatted(one, sieve, two, spool, listenerKeys, listenerKeys);
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
                        String problem = PreAuthFuzzTest.exchange(address, input);
                        if (problem != null) failures.add("input seed " + seed + ": " + problem + ": " + Probes.hex(input, 120));
                    } catch (IOException e) {
                        failures.add("input seed " + seed + ": " + e + ": " + Probes.hex(input, 120));
                    }
                }
            }));
        }
        for (Thread t : workers) t.join(Duration.ofMinutes(1));
        return new ArrayList<>(failures);
    }

    /** Every CR is followed by LF and every LF preceded by CR (RFC 5321 §2.3.8). */
    private static boolean crlfOnly(byte[] m) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] == '\r' && (i + 1 == m.length || m[i + 1] != '\n')) return false;
            if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return false;
        }
        return true;
    }
}
