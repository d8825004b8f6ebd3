package mailproxy.abuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FuzzInputs;
import mailproxy.testing.LogCapture;
import mailproxy.testing.SiteCertificates;
import mailproxy.testing.TestProxy;
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
        try (FakeBackends.Trio mail = FakeBackends.trio(Map.of("bob", "secret"));
             LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start(Probes.config(mail, keys, "starttls = on, " + certs.listenerTls()))) {
            Probes.fuzz(p, log, protocol, SEED, PER_PROTOCOL, Probes.SESSION_END);
        }
    }
}
