package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * refuses the connect, bob is told to come back later rather than sent to a second server
 * while his sessions are open on the first. Once those sessions are gone (here: the other
 * proxy's lease ends, as it does within state.instance-lease when a proxy dies), his next
 * login goes where the hash says, and no split is ever counted.
 */
@Timeout(60)
class AffinityElsewhereRefusedTest {
    private static final String PREFIX = "refused:";
    @TempDir
    Path dir;

    @Test
    void whenTheServerOfTheOpenSessionsRefusesTheLoginIsRefusedForNowNotSplit() throws Exception {
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
                c.exchange("a LOGIN bob secret", "a NO [UNAVAILABLE]");
            }
            log.awaitLine(Duration.ofSeconds(5), "user bob has sessions open on 127.0.0.1:" + dead, "refused for now");
            String refused = log.awaitLine(Duration.ofSeconds(5), "user=bob", "route=refused");
            assertTrue(refused.contains("result=") && !refused.contains("result=success"), refused);
            // the other proxy's sessions are gone (its lease ended)
            try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                j.del(PREFIX + "affinity-alive:other-proxy");
            }
            try (RawClient c = RawClient.connect(p.port("imap"))) {
                c.expect("* OK");
                c.exchange("a LOGIN bob secret", "a OK");
            }
            String audit = log.awaitLine(Duration.ofSeconds(5), "user=bob", "result=success");
            assertTrue(audit.contains("backend=127.0.0.1:" + alive.port()), audit);
            assertFalse(log.text().contains("has sessions on two servers"), "no split: " + log.text());
        }
    }
}
