package mailproxy.route;

import static mailproxy.route.PoolFixtures.servers;
import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import mailproxy.config.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reconnect storms (README, "Reconnect storms"): when a server dies, all its users log in
 * again within a second or so. Weighted rendezvous hashing sends each of them to their own
 * next choice, and those choices spread over the remaining servers by weight: no server
 * takes the dead one's users because many users share it as second choice. Checked through
 * {@link Pool#candidates} (the order a login tries), with sticky assignments in play, on a
 * seeded set of user names.
 */
class StormSpreadTest {
    private static final int USERS = 100_000;
    /** Shares are compared to w/Σw within this (absolute), about 4σ for the smallest group here. */
    private static final double SHARE_TOLERANCE = 0.02;

    /** A seeded set of distinct, lower-cased login names (the routing key's form). */
    private static List<String> users(int n, long seed) {
        Random random = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Long.toString(random.nextLong() & Long.MAX_VALUE, 36) + "." + i + "@example.org");
        }
        return out;
    }

    private static Pool pool(PoolFixtures.Clock clock, int... weights) {
        return Pools.build(stores(servers(weights) + "imap { }\npop3 { }\nhealth { interval = 0s }\n"
                + "max-fails = 1, fail-timeout = 10s, affinity-max-users = 1000000\n"), null, clock).get("stores");
    }

    private static PoolServer first(Pool pool, String user) {
        return pool.candidates(user, Protocol.IMAP).getFirst();
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,2,3", "1,1,2,4", "5,3,2,1,1", "3,3,3,1"})
    void aDeadServersUsersSpreadOverTheRestByWeightAndNobodyElseMoves(String weightList) {
        int[] weights = Arrays.stream(weightList.split(",")).mapToInt(Integer::parseInt).toArray();
        int total = Arrays.stream(weights).sum();
        PoolFixtures.Clock clock = new PoolFixtures.Clock();
        Pool pool = pool(clock, weights);
        List<String> users = users(USERS, 21);
        Map<String, PoolServer> before = new HashMap<>();
        // where a login fails over to while its first server's death is not yet noticed
        // (between health checks, or max-fails > 1): the second in its order
        Map<String, PoolServer> failover = new HashMap<>();
        for (String u : users) {
            List<PoolServer> order = pool.candidates(u, Protocol.IMAP);
            before.put(u, order.get(0));
            failover.put(u, order.get(1));
        }

        for (int dead = 0; dead < weights.length; dead++) {
            PoolServer down = pool.servers().get(dead);
            down.failed(Protocol.IMAP, "connect refused");
            assertFalse(down.up(Protocol.IMAP));
            int[] movedTo = new int[weights.length];
            int[] failedOverTo = new int[weights.length];
            int[] load = new int[weights.length];
            int moved = 0;
            int elsewhere = 0;
            for (String u : users) {
                PoolServer now = first(pool, u);
                load[now.index()]++;
                if (before.get(u) == down) {
                    if (failover.get(u) != now) elsewhere++;
                    failedOverTo[failover.get(u).index()]++;
                    moved++;
                    movedTo[now.index()]++;
                } else {
                    assertEquals(before.get(u), now, u + " was not on the dead server and must stay");
                }
            }
            assertEquals(0, load[dead]);
            int rest = total - weights[dead];
            for (int i = 0; i < weights.length; i++) {
                if (i == dead) continue;
                String what = "weights " + weightList + ", server " + (i + 1) + " with server " + (dead + 1) + " dead: ";
                // the dead server's users, and so the storm of their logins, by weight
                assertEquals(weights[i] / (double) rest, movedTo[i] / (double) moved, SHARE_TOLERANCE,
                        what + "its part of the moved users");
                assertEquals(weights[i] / (double) rest, failedOverTo[i] / (double) moved, SHARE_TOLERANCE,
                        what + "its part of the logins failing over before the death is noticed");
                // and what each server carries afterwards: its weight's share, nobody overloaded
                assertEquals(weights[i] / (double) rest, load[i] / (double) USERS, SHARE_TOLERANCE / 2,
                        what + "its part of all users");
            }
            assertEquals(0, elsewhere, "a moved user goes to the same server whether the death was noticed or not");
            clock.advance(Duration.ofSeconds(10)); // fail-timeout over: the dead server is back
            assertTrue(down.up(Protocol.IMAP));
        }
    }

    /**
     * Every user has a session open on their server; the two heaviest servers (three
     * quarters of the users) die at once; their users log in again and spread over the two
     * left, by weight. The dead servers come back one at a time: nobody moves (each user stays
     * where their sessions are), users never seen before take the hash's choice, the returned
     * servers included; and once the moved users are idle for affinity-ttl, the hash has them back.
     */
    @Test
    void afterAStormUsersStayWhereTheyLandedWhileTheServersComeBackOneByOne() {
        PoolFixtures.Clock clock = new PoolFixtures.Clock();
        int[] weights = {1, 1, 2, 4};
        Pool pool = pool(clock, weights);
        List<String> users = users(20_000, 7);
        Map<String, SessionHold> sessions = new HashMap<>();
        Map<String, PoolServer> home = new HashMap<>();
        for (String u : users) {
            PoolServer s = first(pool, u);
            home.put(u, s);
            sessions.put(u, open(pool, u, s));
        }
        PoolServer third = pool.servers().get(2);
        PoolServer fourth = pool.servers().get(3);
        // the storm: both die, their sessions with them, and all their users are back at once
        for (PoolServer dead : List.of(third, fourth)) dead.failed(Protocol.IMAP, "connect refused");
        Map<String, PoolServer> landed = new HashMap<>();
        int[] movedTo = new int[weights.length];
        for (String u : users) {
            if (home.get(u) != third && home.get(u) != fourth) continue;
            sessions.remove(u).released();
            PoolServer now = first(pool, u);
            landed.put(u, now);
            movedTo[now.index()]++;
            sessions.put(u, open(pool, u, now));
        }
        int moved = landed.size();
        assertEquals(0.75, moved / (double) users.size(), SHARE_TOLERANCE, "servers of weight 2 and 4 out of 8");
        assertEquals(moved, pool.moves("down"), "each moved user's assignment given up once, as down");
        assertEquals(0.5, movedTo[0] / (double) moved, SHARE_TOLERANCE, "weight 1 of the 2 left");
        assertEquals(0.5, movedTo[1] / (double) moved, SHARE_TOLERANCE, "weight 1 of the 2 left");

        // back one by one: fail-timeout over for the third, then the fourth
        clock.advance(Duration.ofSeconds(10));
        third.succeeded(Protocol.IMAP);
        fourth.failed(Protocol.IMAP, "still down");
        assertTrue(third.up(Protocol.IMAP));
        assertFalse(fourth.up(Protocol.IMAP));
        everyoneStays(pool, users, home, landed);
        clock.advance(Duration.ofSeconds(10));
        assertTrue(fourth.up(Protocol.IMAP));
        everyoneStays(pool, users, home, landed);
        assertEquals(moved, pool.moves("down"), "a server's return moves nobody");

        // newcomers go by the hash over all four again
        int[] newcomers = new int[weights.length];
        List<String> fresh = users(20_000, 8);
        for (String u : fresh) newcomers[first(pool, u).index()]++;
        for (int i = 0; i < weights.length; i++) {
            assertEquals(weights[i] / 8.0, newcomers[i] / (double) fresh.size(), SHARE_TOLERANCE, "server " + (i + 1));
        }

        // the moved users' sessions end; idle for affinity-ttl (15m), the hash has them back home
        for (String u : landed.keySet()) sessions.remove(u).released();
        clock.advance(Duration.ofMinutes(15));
        for (String u : landed.keySet()) assertEquals(home.get(u), first(pool, u), u + " idle: back to the hash's choice");
        for (SessionHold h : sessions.values()) h.released();
    }

    private static void everyoneStays(Pool pool, List<String> users, Map<String, PoolServer> home,
                                      Map<String, PoolServer> landed) {
        for (String u : users) {
            PoolServer expected = landed.getOrDefault(u, home.get(u));
            assertEquals(expected, first(pool, u), u + " has a session open there");
            if (landed.containsKey(u)) assertNotEquals(home.get(u), expected);
        }
    }

    /** An accepted login of {@code user} on {@code s}, its session still open. */
    private static SessionHold open(Pool pool, String user, PoolServer s) {
        SessionHold h = pool.connected(user, s, Protocol.IMAP);
        h.accepted();
        return h;
    }
}
