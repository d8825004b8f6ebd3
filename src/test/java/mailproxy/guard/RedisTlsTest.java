package mailproxy.guard;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import mailproxy.config.GuardConfig;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RealRedis;
import mailproxy.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/**
 * The guard's state over TLS (rediss://) to a real redis-server with a certificate from a
 * test PKI: with the CA in redis-ca-file two proxies share their counts, password and all;
 * without it (or for a certificate of another name) Redis counts as unreachable, and the
 * warning names host and port, never the password.
 */
@Timeout(60)
class RedisTlsTest {
    /** Listed in src/test/resources/known-test-passwords.txt. */
    private static final String PASSWORD = "Redis-Pw-7fQ2";
    @TempDir
    static Path dir;
    static RealRedis redis;
    static TestPki.Pair ca;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.in(dir);
        ca = pki.ca("redis-ca", "/CN=Test Redis CA");
        TestPki.Pair server = pki.signed("redis", TestPki.Key.EC, ca, "/CN=localhost", "0x42",
                "subjectAltName = IP:127.0.0.1, DNS:localhost\n");
        redis = RealRedis.startTls(dir, server);
        try (RedisClient raw = RedisClient.create("127.0.0.1", redis.port())) {
            raw.sendCommand(Protocol.Command.CONFIG, "SET", "requirepass", PASSWORD);
        }
    }

    @AfterAll
    static void stop() {
        if (redis != null) redis.close();
    }

    private static String url() {
        return redis.tlsUrl().replace("rediss://", "rediss://:" + PASSWORD + "@");
    }

    private static Guard guard(String prefix, String state) {
        GuardConfig c = GuardConfigs.of("max-connections-per-ip = 2",
                "redis = \"" + url() + "\", key-prefix = \"" + prefix + "\", timeout = 2s, retry-interval = 200ms, " + state);
        return Guard.start(c);
    }

    @Test
    void twoProxiesShareTheirCountsOverTls() throws Exception {
        InetAddress client = InetAddress.getByName("198.51.100.7");
        try (LogCapture log = new LogCapture();
             Guard a = guard("tls1:", "redis-ca-file = \"" + ca.cert() + "\", on-redis-down = refuse");
             Guard b = guard("tls1:", "redis-ca-file = \"" + ca.cert() + "\", on-redis-down = refuse")) {
            assertTrue(a.available(), "Redis reached over TLS, password accepted:\n" + log.text());
            assertTrue(a.admit(client).ok() && b.admit(client).ok());
            assertFalse(a.admit(client).ok(), "the limit holds over both: the counts are in Redis");
            assertFalse(log.text().contains("unreachable"), log.text());
        }
    }

    @Test
    void anUntrustedCertificateIsRedisUnreachableAndThePasswordIsNeverLogged() throws Exception {
        try (LogCapture log = new LogCapture(); Guard g = guard("tls2:", "on-redis-down = refuse")) {
            assertFalse(g.available(), "the system CAs do not know the test CA: no TLS, no Redis");
            String line = log.awaitLine(Duration.ofSeconds(10), "unreachable");
            assertTrue(line.contains("127.0.0.1:" + redis.tlsUrl().substring(redis.tlsUrl().lastIndexOf(':') + 1)), line);
            assertFalse(log.text().contains(PASSWORD), "the password is in the log");
        }
    }

    @Test
    void aCertificateOfTheRightCaForAnotherHostIsRefused(@TempDir Path own) throws Exception {
        TestPki.Pair other = TestPki.in(own).signed("other", TestPki.Key.EC, ca, "/CN=redis.example.org", "0x43",
                "subjectAltName = DNS:redis.example.org\n");
        try (RealRedis impostor = RealRedis.startTls(own, other);
             LogCapture log = new LogCapture();
             Guard g = Guard.start(GuardConfigs.of("", "redis = \"" + impostor.tlsUrl() + "\", timeout = 2s, "
                     + "redis-ca-file = \"" + ca.cert() + "\", on-redis-down = refuse"))) {
            assertFalse(g.available(), "signed by the trusted CA, but not for 127.0.0.1: no Redis");
            assertTrue(log.awaitLine(Duration.ofSeconds(10), "unreachable").contains("127.0.0.1"));
        }
    }
}
