package mailproxy.route;

import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.testing.RealRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The race rule at the pool (README, "Several proxies"): a login about to open on one
 * server while the user has sessions open on another goes there instead (route
 * "elsewhere"), even when this proxy's view has that server down; when it cannot (already
 * tried in this login), the session is a split, counted. In one proxy (the local table)
 * and across two sharing a real redis-server.
 */
@Timeout(60)
class RacePoolTest {
    private static final ProxyConfig CONFIG = stores("servers = [ { host = \"10.0.0.1\" }, { host = \"10.0.0.2\" } ]\nimap { }\n"
            + "max-fails = 1, fail-timeout = 1h, health { interval = 0s }\n");
    @TempDir
    static Path dir;
    static RealRedis redis;

    @BeforeAll
    static void start() throws Exception {
        redis = RealRedis.start(dir);
    }

    @AfterAll
    static void stop() {
        if (redis != null) redis.close();
    }

    private static PoolServer byId(Pool p, String id) {
        return p.servers().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void inOneProxyALoginThatFailedOverPastTheUsersServerGoesBackThereUnlessItWasTried() {
        Pool pool = Pools.build(CONFIG, null, new PoolFixtures.Clock()).get("stores");
        List<PoolServer> order = pool.candidates("bob", Protocol.IMAP);
        PoolServer home = order.get(0);
        PoolServer other = order.get(1);
        SessionHold held = pool.connected("bob", home, Protocol.IMAP);
        held.accepted();
        // a second login of bob failed to connect to home (a blip) and comes to the next server
        SessionHold joining = pool.connected("bob", other, Protocol.IMAP, Set.of());
        assertSame(home, joining.server(), "where bob's session is");
        assertEquals("elsewhere", joining.route());
        assertEquals(0, pool.splits());
        joining.released();
        // home was tried in this login and refused: the session opens on other, a split
        SessionHold split = pool.connected("bob", other, Protocol.IMAP, Set.of(home));
        assertSame(other, split.server());
        assertNull(split.route());
        assertEquals(1, pool.splits());
        split.released();
        held.released();
    }

    @Test
    void acrossTwoProxiesTheSecondGoesWhereTheFirstHoldsTheUserEvenIfItsChecksSayDown() {
        String prefix = "race-pool:";
        try (RedisAffinity r1 = new RedisAffinity(RedisFixture.state(redis.url(), prefix, Duration.ofSeconds(30), Duration.ofMillis(100)));
             RedisAffinity r2 = new RedisAffinity(RedisFixture.state(redis.url(), prefix, Duration.ofSeconds(30), Duration.ofMillis(100)))) {
            Pool first = Pools.build(CONFIG, null, new PoolFixtures.Clock(), r1).get("stores");
            Pool second = Pools.build(CONFIG, null, new PoolFixtures.Clock(), r2).get("stores");
            PoolServer home = first.candidates("bob", Protocol.IMAP).get(0);
            SessionHold held = first.connected("bob", home, Protocol.IMAP);
            held.accepted();
            // the second proxy saw bob's server fail (passive marking): down in its view
            PoolServer homeThere = byId(second, home.id());
            homeThere.failed(Protocol.IMAP, "test");
            assertFalse(homeThere.up(Protocol.IMAP));
            Pool.Choice choice = second.choose("bob", Protocol.IMAP);
            PoolServer otherThere = choice.servers().get(0);
            assertEquals(List.of(otherThere), choice.servers(), "its own order no longer has bob's server");
            SessionHold joining = second.connected("bob", otherThere, Protocol.IMAP, Set.of());
            assertSame(homeThere, joining.server(), "the open session proves it was alive a moment ago");
            assertEquals("elsewhere", joining.route());
            assertEquals(0, second.splits());
            joining.accepted();
            joining.released();
            held.released();
            // bob idle now: the second proxy's down server gives him up, and its next choice keeps him
            SessionHold alone = second.connected("bob", second.choose("bob", Protocol.IMAP).servers().get(0), Protocol.IMAP, Set.of());
            assertSame(otherThere, alone.server());
            alone.released();
        }
    }
}
