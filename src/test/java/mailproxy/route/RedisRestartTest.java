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
 * Redis's data lost or out of reach while users have sessions open (README, "Several
 * proxies"). A redis-server that restarts (empty: nothing saved) between two calls of a
 * proxy, so fast that the proxy never finds it down (its broken connection is tried once
 * more and Redis answers): the proxy still sends the users it holds where their sessions
 * are, and writes its sessions back for the other proxies. A proxy that finds Redis down
 * sends a user where Redis last had him. Found by pool.ChurnDovecotTest: users held on
 * their second choice went to their hash's choice right after Redis restarted, through
 * the proxy that held them and through the other.
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

    @Test
    void aProxyThatLostRedisSendsAUserWhereRedisLastHadHimThoughHisSessionIsThroughAnother() throws Exception {
        try (RealRedis redis = RealRedis.start(dir); RedisFixture f = new RedisFixture(redis)) {
            RedisAssignments one = RedisFixture.store(f.proxy(LONG), LONG);
            RedisAssignments two = RedisFixture.store(f.unstarted(LONG, LONG), LONG);
            Assignments.Hold bob = one.open("bob", "b");
            bob.accepted();
            assertEquals("b", two.assigned("bob"), "bob's earlier login through the other proxy");

            redis.kill();

            assertEquals("b", two.assigned("bob"), "Redis down: where it last had bob, not the hash's choice");
            assertNull(two.assigned("carol"), "a user Redis never named: the hash decides");
            bob.released();
        }
    }
}
