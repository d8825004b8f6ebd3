package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealRedis;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The race rule's way out (README, "Several proxies"): Redis says bob's sessions are open
 * on a server this proxy's checks see down; the login goes there first, and when it
 * refuses the connect, the normal failover goes on to the server the proxy chose, where
 * bob logs in (a split, counted and logged), instead of failing.
 */
@Timeout(60)
class AffinityElsewhereRefusedTest {
    private static final String PREFIX = "refused:";
    @TempDir
    Path dir;

    @Test
    void whenTheServerOfTheOpenSessionsRefusesTheLoginFailsOverToTheCandidate() throws Exception {
        int dead = FreePorts.closedPort();
        try (RealRedis redis = RealRedis.start(dir);
             FakeBackend alive = FakeBackends.imap().accept("bob", "secret").start();
             LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start("""
                     mailproxy {
                       limits { greeting-timeout = 1s, connect-timeout = 1s }
                       state { redis = "%s", key-prefix = "%s", timeout = 1s }
                       backends { stores {
                         servers = [ { host = "127.0.0.1", imap-port = %d }, { host = "127.0.0.1", imap-port = %d } ]
                         imap { port = 143 }
                         health { interval = 100ms, rise = 1, fall = 1, timeout = 1s }
                         max-fails = 0
                       } }
                       routers { r { type = static, default = stores } }
                       listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                     }""".formatted(redis.url(), PREFIX, dead, alive.port()))) {
            log.awaitLine(Duration.ofSeconds(10), "pool stores server 127.0.0.1:" + dead + " imap down");
            // another proxy (its lease alive) holds a session of bob on the server this one sees down
            try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                j.set(PREFIX + "affinity-alive:other-proxy", "1");
                j.hset(PREFIX + "affinity:stores:bob", java.util.Map.of("s", "127.0.0.1:" + dead, "a", "1", "c:other-proxy", "1"));
            }
            try (RawClient c = RawClient.connect(p.port("imap"))) {
                c.expect("* OK");
                c.exchange("a LOGIN bob secret", "a OK");
            }
            String audit = log.awaitLine(Duration.ofSeconds(5), "user=bob", "result=success");
            assertTrue(audit.contains("backend=127.0.0.1:" + alive.port() + " route=failover"), audit);
            log.awaitLine(Duration.ofSeconds(5), "user bob has sessions on two servers");
        }
    }
}
