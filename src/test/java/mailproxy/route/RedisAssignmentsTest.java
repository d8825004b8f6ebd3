package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import mailproxy.testing.Await;
import mailproxy.testing.RedisPerClass;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The assignments in a real redis-server, as several proxies share them (README, "Several
 * proxies"): the ttl after the last session, nothing left by a login never accepted, a
 * crashed proxy's sessions freed within its lease, GET /users's listing, and a move told
 * to every proxy once.
 */
@Timeout(60)
class RedisAssignmentsTest {
    private static final Duration LONG = Duration.ofMinutes(1);
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();
    private RedisFixture f;

    @BeforeEach
    void fixture() {
        f = new RedisFixture(redis.server());
    }

    /** One more proxy's assignments: lease and affinity-ttl of a minute (nothing runs out in a test). */
    private RedisAssignments proxy() {
        return RedisFixture.store(f.proxy(LONG), LONG);
    }

    @AfterEach
    void close() {
        if (f != null) f.close();
    }

    @Test
    void whileASessionIsOpenTheAssignmentNeverExpiresThenItLivesTheTtlAndEveryProxySeesIt() {
        RedisAssignments one = proxy();
        RedisAssignments two = proxy();
        Assignments.Hold h = one.open("bob", "a");
        assertNull(h.elsewhere());
        h.accepted();
        assertEquals(-1, f.look().pttl(f.key("bob")), "no expiry while a session is open");
        assertEquals("a", two.assigned("bob"), "the other proxy sees it");
        h.released();
        long ttl = f.look().pttl(f.key("bob"));
        assertTrue(ttl > 0 && ttl <= LONG.toMillis(), "affinity-ttl after the last session: " + ttl);
        assertEquals("a", two.assigned("bob"));
        // a short ttl runs out
        RedisAssignments brief = RedisFixture.store(f.proxy(LONG), Duration.ofMillis(200));
        Assignments.Hold carol = brief.open("carol", "b");
        carol.accepted();
        carol.released();
        Await.until(Duration.ofSeconds(5), "carol forgotten after the ttl", () -> brief.assigned("carol") == null);
    }

    @Test
    void aLoginNeverAcceptedLeavesNothingInRedis() {
        RedisAssignments one = proxy();
        Assignments.Hold h = one.open("guessed-name", "a");
        assertEquals("a", one.assigned("guessed-name"), "counted while the login is under way");
        h.released();
        h.released();
        assertEquals(0, f.look().exists(f.key("guessed-name")) ? 1 : 0);
        assertNull(one.assigned("guessed-name"));
    }

    @Test
    void aCrashedProxysSessionsStopHoldingItsUsersWithinItsLease() {
        Duration lease = Duration.ofMillis(600);
        RedisAffinity crashing = f.proxy(lease);
        RedisAssignments one = RedisFixture.store(crashing, LONG);
        RedisAssignments two = RedisFixture.store(f.proxy(lease), LONG);
        Assignments.Hold held = one.open("bob", "a");
        held.accepted();
        one.open("ghost", "a"); // a login under way when the proxy crashes: never accepted
        assertEquals("a", two.open("bob", "b").elsewhere(), "bob's session is open on a through the first proxy");
        crashing.stopWithoutGoodbye(); // no goodbye: its lease runs out by itself
        AtomicReference<Assignments.Hold> taken = new AtomicReference<>();
        Await.until(Duration.ofSeconds(10), "the crashed proxy's count no longer holds bob", () -> {
            Assignments.Hold h = two.open("bob", "b");
            if (h.elsewhere() != null) return false;
            taken.set(h);
            return true;
        });
        assertEquals("b", f.look().hget(f.key("bob"), "s"));
        taken.get().released();
        // nobody logs in as ghost again: GET /users's reading ends what the crashed proxy left
        assertTrue(f.look().exists(f.key("ghost")));
        two.users(null, 10);
        assertFalse(f.look().exists(f.key("ghost")), "a crashed proxy's never-accepted login leaves nothing once read");
    }

    @Test
    void usersListsWhoIsOnWhichServerWithTheirOpenSessionsBoundedByTheLimit() {
        RedisAssignments one = proxy();
        RedisAssignments two = proxy();
        Assignments.Hold alice = one.open("alice", "a");
        Assignments.Hold alice2 = two.open("alice", "a");
        Assignments.Hold bob = one.open("bob", "a");
        bob.accepted();
        bob.released();
        Assignments.Hold carol = two.open("carol", "b");
        Map<String, Integer> onA = one.users("a", 10).stream()
                .collect(Collectors.toMap(Assignments.Assigned::user, Assignments.Assigned::sessions));
        assertEquals(Map.of("alice", 2, "bob", 0), onA, "alice's two sessions over two proxies; bob idle");
        assertEquals(Set.of("alice", "bob", "carol"),
                two.users(null, 10).stream().map(Assignments.Assigned::user).collect(Collectors.toSet()));
        assertEquals(2, one.users(null, 2).size());
        alice.released();
        alice2.released();
        carol.released();
    }

    @Test
    void aMoveIsToldToTheListenersOfEveryProxyOnceEach() {
        RedisAffinity p1 = f.proxy(LONG);
        RedisAffinity p2 = f.proxy(LONG);
        RedisAssignments one = RedisFixture.store(p1, LONG);
        RedisAssignments two = RedisFixture.store(p2, LONG);
        List<String> toldOne = new CopyOnWriteArrayList<>();
        List<String> toldTwo = new CopyOnWriteArrayList<>();
        one.onMove((user, from, to) -> toldOne.add(user + " " + from + "->" + to));
        two.onMove((user, from, to) -> toldTwo.add(user + " " + from + "->" + to));
        Await.until(Duration.ofSeconds(10), "both proxies subscribed", () -> f.subscribers() == 2);
        Assignments.Hold h = one.open("bob", "a");
        h.accepted();
        h.released();
        assertEquals("a", one.move("bob", "b"));
        assertEquals("b", two.assigned("bob"));
        Await.until(Duration.ofSeconds(10), "the second proxy told", () -> toldTwo.size() == 1);
        // the other way: once the first proxy hears this one, it has heard its own before (one
        // channel, in order) and ignored it
        assertEquals("b", two.move("bob", "a"));
        Await.until(Duration.ofSeconds(10), "the first proxy told", () -> toldOne.size() >= 2);
        assertEquals(List.of("bob a->b", "bob b->a"), toldOne);
        assertEquals(List.of("bob a->b", "bob b->a"), toldTwo);
        assertEquals(1, one.forgotten(Assignments.Forgotten.MOVE));
    }

    @Test
    void aReloadsRebalanceForgetsOnlyAUserNoProxyHasASessionOpenFor() {
        RedisAssignments one = proxy();
        RedisAssignments two = proxy();
        Assignments.Hold h = two.open("dave", "a");
        h.accepted();
        one.forget("dave", "a", Assignments.Forgotten.REBALANCE);
        assertEquals("a", one.assigned("dave"), "the other proxy's open session keeps him");
        h.released();
        one.forget("dave", "a", Assignments.Forgotten.REBALANCE);
        assertNull(one.assigned("dave"), "idle now: he moves");
        assertEquals(1, one.forgotten(Assignments.Forgotten.REBALANCE));
    }

    /**
     * User names are whatever a client typed (a literal may hold ':', glob characters, CR
     * LF, NUL) and pool names whatever the config quotes: no user of one pool reaches the
     * key of another pool's user, and GET /users of a pool lists its own users only.
     */
    @Test
    void aUserNameWithTheKeySeparatorOrGlobCharactersReachesNoOtherPoolsOrUsersAssignment() {
        RedisAffinity p = f.proxy(LONG);
        RedisAssignments a = p.store("a", LONG, 1000, System::nanoTime);
        RedisAssignments ab = p.store("a:b", LONG, 1000, System::nanoTime);
        Assignments.Hold c = ab.open("c", "s1");
        c.accepted();
        assertNull(a.assigned("b:c"), "pool a's user b:c is not pool a:b's user c");
        Set<String> odd = Set.of("*", "b?", "[x]", "we\\ird", "cr\r\nlf", "nul\0", "b:c*");
        for (String user : odd) a.open(user, "s2").accepted();
        assertNull(a.assigned("b"), "a glob in another user's name reaches no one");
        assertEquals(odd, a.users(null, 100).stream().map(Assignments.Assigned::user).collect(Collectors.toSet()));
        assertEquals(Set.of("c"), ab.users(null, 100).stream().map(Assignments.Assigned::user).collect(Collectors.toSet()));
        assertEquals("s1", ab.assigned("c"));
        c.released();
    }

    /**
     * A login sent elsewhere (the user's sessions are on another server through another
     * proxy) takes nothing here and leaves nothing: once those sessions end (a login never
     * accepted), this proxy neither routes the user by it nor counts him.
     */
    @Test
    void aLoginToldElsewhereLeavesNothingInTheProxyThatAsked() {
        RedisAssignments one = proxy();
        RedisAssignments two = proxy();
        Assignments.Hold guessing = one.open("bob", "a");
        assertEquals("a", two.open("bob", "b").elsewhere());
        guessing.released(); // never accepted: gone from Redis
        assertFalse(f.look().exists(f.key("bob")));
        assertNull(two.assigned("bob"), "the hash decides again");
        assertEquals(0, two.size(), "no user with sessions through the second proxy");
    }
}
