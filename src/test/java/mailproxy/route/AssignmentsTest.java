package mailproxy.route;

import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;

/**
 * The assignment table of a user-hash pool (README, "Why a user stays on one server"):
 * forgotten after affinity-ttl idle (a clock the test moves, no sleeps), bounded, lost
 * with a server that goes down or drains, kept across a reload.
 */
class AssignmentsTest {
    private final PoolFixtures.Clock clock = new PoolFixtures.Clock();

    private static ProxyConfig twoServers(String more) {
        return stores("servers = [ { host = \"10.0.0.1\" }, { host = \"10.0.0.2\" } ]\nimap { }\npop3 { }\n"
                + "max-fails = 1, fail-timeout = 10s, health { interval = 0s }\n" + more);
    }

    /** One accepted session of {@code user} on {@code s}, ended. */
    private static void session(Pool pool, String user, PoolServer s) {
        SessionHold h = pool.connected(user, s, Protocol.IMAP);
        h.accepted();
        h.released();
    }

    @Test
    void anIdleUserIsForgottenAfterTheTtlNotBefore() {
        LocalAssignments t = new LocalAssignments(Duration.ofMinutes(15), 10, clock);
        Assignments.Hold h = t.open("bob", "a");
        h.accepted();
        clock.advance(Duration.ofHours(1));
        assertEquals("a", t.assigned("bob"), "an open session keeps him however long");
        h.released();
        clock.advance(Duration.ofMinutes(15).minusMillis(1));
        assertEquals("a", t.assigned("bob"));
        clock.advance(Duration.ofMillis(1));
        assertNull(t.assigned("bob"));
        assertEquals(1, t.forgotten(Assignments.Forgotten.TTL));
        assertEquals(0, t.size());
    }

    @Test
    void aLoginNeverAcceptedLeavesNothingBehind() {
        LocalAssignments t = new LocalAssignments(Duration.ofMinutes(15), 10, clock);
        Assignments.Hold h = t.open("guessed-name", "a");
        assertEquals("a", t.assigned("guessed-name"), "counted while the login is under way");
        h.released();
        h.released();
        assertNull(t.assigned("guessed-name"));
        assertEquals(0, t.size());
    }

    @Test
    void atTheCapTheOldestIdleUserGoesFirstAndNeverOneWithASessionOpen() {
        LocalAssignments t = new LocalAssignments(Duration.ofMinutes(15), 3, clock);
        Assignments.Hold held = t.open("held", "a");
        held.accepted();
        for (String u : new String[] {"old", "newer"}) {
            Assignments.Hold h = t.open(u, "a");
            h.accepted();
            clock.advance(Duration.ofSeconds(1));
            h.released();
        }
        Assignments.Hold third = t.open("third", "b");
        assertEquals(3, t.size());
        assertNull(t.assigned("old"), "the oldest idle user made room");
        assertEquals("a", t.assigned("newer"));
        Assignments.Hold fourth = t.open("fourth", "b");
        assertNull(t.assigned("newer"));
        // three users with sessions open: a fifth goes by the hash alone, unassigned
        assertSame(Assignments.NONE, t.open("fifth", "b"));
        assertEquals(3, t.size());
        assertEquals("a", t.assigned("held"));
        third.released();
        fourth.released();
    }

    @Test
    void aServerThatGoesDownLosesItsUsersWhoStayOnTheirNextChoiceWhenItReturns() {
        Pool pool = Pools.build(twoServers(""), null, clock).get("stores");
        PoolServer home = pool.candidates("bob", Protocol.IMAP).getFirst();
        session(pool, "bob", home);
        assertEquals(1, pool.assignments());
        home.failed(Protocol.IMAP, "connect refused");
        PoolServer next = pool.candidates("bob", Protocol.IMAP).getFirst();
        assertNotEquals(home, next);
        assertEquals(1, pool.moves("down"));
        SessionHold open = pool.connected("bob", next, Protocol.IMAP);
        open.accepted();
        clock.advance(Duration.ofSeconds(11)); // home's fail-timeout is over: the hash would say home
        assertTrue(home.up(Protocol.IMAP));
        assertSame(next, pool.candidates("bob", Protocol.IMAP).getFirst(), "while his session is open");
        assertSame(next, pool.candidates("bob", Protocol.POP3).getFirst(), "any protocol of the pool");
        open.released();
        assertSame(next, pool.candidates("bob", Protocol.IMAP).getFirst(), "idle, not for affinity-ttl yet");
        clock.advance(Duration.ofMinutes(15));
        assertSame(home, pool.candidates("bob", Protocol.IMAP).getFirst(), "idle for affinity-ttl: the hash again");
        assertEquals(1, pool.moves("ttl"));
    }

    @Test
    void drainingMovesAUserAndAReloadKeepsAssignmentsToServersThatStay() {
        Pools first = Pools.build(twoServers(""), null, clock);
        Pool pool = first.get("stores");
        PoolServer home = pool.candidates("bob", Protocol.IMAP).getFirst();
        PoolServer other = pool.servers().get(home == pool.servers().get(0) ? 1 : 0);
        session(pool, "bob", other); // as after a failover
        Pool reloaded = Pools.build(twoServers("affinity-ttl = 1m"), first, clock).get("stores");
        assertEquals(other.id(), reloaded.candidates("bob", Protocol.IMAP).getFirst().id(), "kept across the reload");
        reloaded.servers().stream().filter(s -> s.id().equals(other.id())).findFirst().orElseThrow().drain();
        assertEquals(home.id(), reloaded.candidates("bob", Protocol.IMAP).getFirst().id());
        assertEquals(1, reloaded.moves("drain"));
        session(reloaded, "bob", reloaded.candidates("bob", Protocol.IMAP).getFirst());
        assertEquals(1, reloaded.assignments());
        clock.advance(Duration.ofMinutes(1));
        assertEquals(0, reloaded.assignments(), "the reload's ttl in force");
    }

    @Test
    void aMovedUserGoesToTheNewServerWhileTheOldSessionsStayCountedOnTheOld() {
        LocalAssignments t = new LocalAssignments(Duration.ofMinutes(15), 10, clock);
        java.util.List<String> told = new java.util.ArrayList<>();
        t.onMove((user, from, to) -> told.add(user + " " + from + "->" + to));
        Assignments.Hold old = t.open("bob", "a");
        old.accepted();
        assertEquals(java.util.List.of(new Assignments.Assigned("bob", "a", 1)), t.users("a", 10));
        assertEquals("a", t.move("bob", "b"));
        assertEquals("b", t.assigned("bob"));
        assertEquals(java.util.List.of("bob a->b"), told);
        assertEquals(java.util.List.of(new Assignments.Assigned("bob", "b", 0)), t.users(null, 10));
        old.released();
        assertEquals("b", t.assigned("bob"), "the old session's end does not undo the move");
        assertEquals(1, t.forgotten(Assignments.Forgotten.MOVE));
        assertEquals("b", t.move("bob", null));
        assertNull(t.assigned("bob"));
        assertTrue(t.users(null, 10).isEmpty());
    }
}

