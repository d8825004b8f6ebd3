package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FuzzInputs;
import mailproxy.testing.LogCapture;
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

    @TempDir
    Path spool;

    @ParameterizedTest
    @ValueSource(strings = {"lmtp", "sieve"})
    void everyInputEndsItsSessionWithoutABug(String protocol) throws Exception {
        SiteCertificates certs = SiteCertificates.shared();
        try (FakeBackend one = FakeBackends.lmtp("one").start(); FakeBackend two = FakeBackends.lmtp("two").start();
             FakeBackend sieve = FakeBackends.sieve().accounts(Map.of()).start(); // refuses every login
             LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start(config(one.port(), two.port(), sieve.port(), "starttls = on, " + certs.listenerTls()))) {
            Probes.fuzz(p, log, protocol, SEED, PER_PROTOCOL, Probes.SESSION_END);
            // the inputs reach deep: some whole transactions are delivered, so the message reader was fuzzed too
            if (protocol.equals("lmtp")) assertTrue(log.text().contains(" delivered "), "no input got past DATA");
            for (FakeBackend b : List.of(one, two)) {
                for (byte[] m : b.rawMessages()) assertTrue(crlfOnly(m), "a backend got a bare CR or LF: " + Probes.hex(m, 200));
            }
            try (var left = Files.list(spool)) {
                assertEquals(List.of(), left.filter(f -> f.getFileName().toString().endsWith(".msg")).toList());
            }
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

    /** Every CR is followed by LF and every LF preceded by CR (RFC 5321 §2.3.8). */
    private static boolean crlfOnly(byte[] m) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] == '\r' && (i + 1 == m.length || m[i + 1] != '\n')) return false;
            if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return false;
        }
        return true;
    }
}
