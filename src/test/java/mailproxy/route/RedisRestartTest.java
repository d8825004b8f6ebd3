package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.time.Duration;
import mailproxy.testing.Await;
import mailproxy.testing.RealRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A redis-server that restarts (empty: nothing saved) between two calls of a proxy, so
 * fast that the proxy never finds it down: its broken connection is tried once more and
 * Redis answers (README, "Several proxies"). The users whose sessions this proxy holds
 * must not be lost with Redis's data: the proxy still sends them where their sessions are,
 * and writes its sessions back for the other proxies. Found by pool.ChurnDovecotTest: a
 * user held on his second choice went to his hash's choice through the same proxy, right
 * after Redis restarted.
 */
@Timeout(60)
class RedisRestartTest {
    private static final Duration LONG = Duration.ofMinutes(1);
    @TempDir
    Path dir;

    @Test
    void aUserHeldHereStaysWhereHisSessionIsAfterRedisRestartedEmptyAndTheOtherProxiesLearnItAgain() throws Exception {
        try (RealRedis redis = RealRedis.start(dir); RedisFixture f = new RedisFixture(redis)) {
            // no lease thread: only the test's calls reach Redis through this proxy
            RedisAssignments one = RedisFixture.store(f.unstarted(LONG, LONG), LONG);
            RedisAssignments two = RedisFixture.store(f.proxy(LONG), LONG);
            Assignments.Hold bob = one.open("bob", "b");
            assertNull(bob.elsewhere());
            bob.accepted();
            assertEquals("b", two.assigned("bob"));

            redis.restart();

            assertEquals("b", one.assigned("bob"), "the proxy that holds bob's session sends him there");
            Await.until(Duration.ofSeconds(5), "bob's session written back to Redis for the other proxy",
                    () -> "b".equals(two.assigned("bob")));
            bob.released();
        }
    }
}
