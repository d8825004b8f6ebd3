package mailproxy.route;

import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.testing.RedisPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The race rule at the pool (README, "Several proxies"): a login about to open on one
 * server while the user has sessions open on another goes there instead (route
 * "elsewhere"), even when this proxy's view has that server down; when it cannot (already
 * tried in this login and failed), the login is refused rather than split; a session that
 * does open on a second server (the first cannot serve its protocol) is a split, counted
 * once the backend accepts it. In one proxy (the local table) and across two sharing a
 * real redis-server.
 */
@Timeout(60)
class RacePoolTest {
    private static final ProxyConfig CONFIG = stores("servers = [ { host = \"10.0.0.1\" }, { host = \"10.0.0.2\" } ]\nimap { }\n"
            + "max-fails = 1, fail-timeout = 1h, health { interval = 0s }\n");
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();

    private static PoolServer byId(Pool p, String id) {
        return p.servers().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    /** One proxy's pool (the local table) in which bob has an IMAP session open on the server his hash chose. */
    private record BobHeld(Pool pool, PoolServer home, PoolServer other, SessionHold held) {}

    private static BobHeld bobHeldAtHome() {
        Pool pool = Pools.build(CONFIG, null, new PoolFixtures.Clock()).get("stores");
        List<PoolServer> order = pool.candidates("bob", Protocol.IMAP);
        SessionHold held = pool.connected("bob", order.get(0), Protocol.IMAP);
        held.accepted();
        return new BobHeld(pool, order.get(0), order.get(1), held);
    }

    @Test
    void inOneProxyALoginThatFailedOverPastTheUsersServerGoesBackThereAndIsRefusedIfThatFailed() {
        BobHeld bob = bobHeldAtHome();
        // a second login of bob failed to connect to home (a blip) and comes to the next server
        SessionHold joining = bob.pool().connected("bob", bob.other(), Protocol.IMAP, Set.of());
        assertSame(bob.home(), joining.server(), "where bob's session is");
        assertEquals("elsewhere", joining.route());
        assertEquals(0, bob.pool().splits());
        joining.released();
        // home was tried in this login and failed: no place on other (bob would be on two
        // servers); the login is told to come back later
        SessionHold refused = bob.pool().connected("bob", bob.other(), Protocol.IMAP, Set.of(bob.home()));
        assertEquals(bob.home().id(), refused.refused());
        assertNull(refused.server());
        assertEquals(0, bob.other().active(), "nothing taken on the other server");
        refused.released();
        assertEquals(0, bob.pool().splits());
        bob.held().released();
        // bob's session ended: the other server takes him
        SessionHold after = bob.pool().connected("bob", bob.other(), Protocol.IMAP, Set.of(bob.home()));
        assertSame(bob.other(), after.server());
        after.released();
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

    @Test
    void aSessionOnASecondServerIsASplitOnlyOnceTheBackendAcceptsIt() {
        Pool pool = Pools.build(stores("servers = [ { host = \"10.0.0.1\", protocols = [imap] }, { host = \"10.0.0.2\" } ]\n"
                + "imap { }\npop3 { }\nhealth { interval = 0s }\n"), null, new PoolFixtures.Clock()).get("stores");
        PoolServer imapOnly = byId(pool, "10.0.0.1:143");
        PoolServer both = byId(pool, "10.0.0.2:143");
        SessionHold held = pool.connected("bob", imapOnly, Protocol.IMAP);
        held.accepted();
        // bob's POP3 login cannot go where his IMAP session is
        SessionHold refusedByBackend = pool.connected("bob", both, Protocol.POP3, Set.of());
        assertSame(both, refusedByBackend.server());
        refusedByBackend.released();
        assertEquals(0, pool.splits(), "a login the backend never accepted is no split");
        SessionHold split = pool.connected("bob", both, Protocol.POP3, Set.of());
        split.accepted();
        assertEquals(1, pool.splits());
        split.released();
        held.released();
    }

    @Test
    void aDrainingServerKeepsTheUsersItHasUntilTheirSessionsEnd() {
        BobHeld bob = bobHeldAtHome();
        bob.home().drain();
        Pool.Choice choice = bob.pool().choose("bob", Protocol.IMAP);
        assertEquals(List.of(bob.other()), choice.servers(), "no new user goes to a draining server");
        SessionHold joining = bob.pool().connected("bob", bob.other(), Protocol.IMAP, Set.of());
        assertSame(bob.home(), joining.server(), "but bob's session is there: his next one joins it");
        joining.accepted();
        joining.released();
        bob.held().released();
        assertEquals(0, bob.pool().splits());
        // his sessions ended: the drain takes him off
        SessionHold after = bob.pool().connected("bob", bob.pool().choose("bob", Protocol.IMAP).servers().get(0), Protocol.IMAP, Set.of());
        assertSame(bob.other(), after.server());
        after.released();
    }
    // ---- a reload removed the server the user's sessions are open on (README, "Why a user stays on one server")

    private static final String[] HOSTS = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};

    /** The pool's config with these hosts (no checks, so every server is up). */
    private static ProxyConfig poolOf(List<String> hosts) {
        StringBuilder b = new StringBuilder("servers = [");
        for (String h : hosts) b.append(b.length() > 11 ? ", " : " ").append("{ host = \"").append(h).append("\" }");
        return stores(b.append(" ]\nimap { }\nhealth { interval = 0s }\n").toString());
    }

    private static List<String> without(String host) {
        return java.util.Arrays.stream(HOSTS).filter(h -> !h.equals(host)).toList();
    }

    /** After the reload: a login of bob while his session on the removed server is open is refused, then lands once it ended. */
    private static void refusedUntilTheRemovedServersSessionEnds(Pool after, String removed, SessionHold held) {
        PoolServer next = after.choose("bob", Protocol.IMAP).servers().get(0);
        SessionHold refused = after.connected("bob", next, Protocol.IMAP, Set.of());
        assertEquals(removed, refused.refused(), "bob's session is still open on the removed server");
        assertEquals("refused", refused.route());
        assertNull(refused.server());
        assertEquals(0, next.active(), "nothing taken on a second server");
        refused.released();
        assertEquals(0, after.splits());
        held.released(); // the reload's kick ended it
        SessionHold then = after.connected("bob", after.choose("bob", Protocol.IMAP).servers().get(0), Protocol.IMAP, Set.of());
        assertSame(next, then.server(), "bob's next choice takes him now");
        then.accepted();
        then.released();
        assertEquals(0, after.splits());
    }

    @Test
    void inOneProxyALoginOfAUserWithASessionOnAServerAReloadRemovedIsRefusedNotSplit() {
        PoolFixtures.Clock clock = new PoolFixtures.Clock();
        Pools before = Pools.build(poolOf(List.of(HOSTS)), null, clock);
        Pool pool = before.get("stores");
        PoolServer home = pool.candidates("bob", Protocol.IMAP).get(0);
        SessionHold held = pool.connected("bob", home, Protocol.IMAP);
        held.accepted();
        Pool after = Pools.build(poolOf(without(home.host())), before, clock).get("stores");
        refusedUntilTheRemovedServersSessionEnds(after, home.id(), held);
    }

    @Test
    void withRedisALoginOfAUserWithAnotherProxysSessionOnAServerAReloadRemovedIsRefusedNotSplit() {
        String prefix = "race-removed:";
        try (RedisAffinity r1 = new RedisAffinity(RedisFixture.state(redis.url(), prefix, Duration.ofSeconds(30), Duration.ofMillis(100)));
             RedisAffinity r2 = new RedisAffinity(RedisFixture.state(redis.url(), prefix, Duration.ofSeconds(30), Duration.ofMillis(100)))) {
            PoolFixtures.Clock clock = new PoolFixtures.Clock();
            Pool first = Pools.build(poolOf(List.of(HOSTS)), null, clock, r1).get("stores");
            Pools second = Pools.build(poolOf(List.of(HOSTS)), null, clock, r2);
            PoolServer home = first.candidates("bob", Protocol.IMAP).get(0);
            SessionHold held = first.connected("bob", home, Protocol.IMAP);
            held.accepted();
            // the second proxy reloads first: bob's server left its pool, his session through the first is open
            Pool after = Pools.build(poolOf(without(home.host())), second, clock, r2).get("stores");
            refusedUntilTheRemovedServersSessionEnds(after, home.id(), held);
            assertEquals(0, first.splits());
        }
    }

    @Test
    void withRedisAPoolLeftWithOneServerStillSeesTheSessionsOnTheServerItsReloadRemoved() {
        String prefix = "race-removed-one:";
        try (RedisAffinity r1 = new RedisAffinity(RedisFixture.state(redis.url(), prefix, Duration.ofSeconds(30), Duration.ofMillis(100)));
             RedisAffinity r2 = new RedisAffinity(RedisFixture.state(redis.url(), prefix, Duration.ofSeconds(30), Duration.ofMillis(100)))) {
            PoolFixtures.Clock clock = new PoolFixtures.Clock();
            List<String> two = List.of(HOSTS[0], HOSTS[1]);
            Pool first = Pools.build(poolOf(two), null, clock, r1).get("stores");
            Pools second = Pools.build(poolOf(two), null, clock, r2);
            PoolServer home = first.candidates("bob", Protocol.IMAP).get(0);
            SessionHold held = first.connected("bob", home, Protocol.IMAP);
            held.accepted();
            // the second proxy's reload leaves one server: its pool keeps sharing the assignments
            List<String> left = two.stream().filter(h -> !h.equals(home.host())).toList();
            Pool after = Pools.build(poolOf(left), second, clock, r2).get("stores");
            refusedUntilTheRemovedServersSessionEnds(after, home.id(), held);
        }
    }
}
