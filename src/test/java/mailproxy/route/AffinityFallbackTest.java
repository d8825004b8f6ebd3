package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RealRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/**
 * Redis killed in the middle (README, "Several proxies"): the proxy says so once, counts it,
 * keeps its users by its own sessions and table meanwhile; when Redis is back (empty) it
 * writes its open sessions back, a user another proxy put elsewhere meanwhile is a split,
 * and the sessions opened during the outage end without a count left over or below zero.
 * The lease is renewed by the test ({@link RedisAffinity#beat}), so the order is the test's.
 */
@Timeout(60)
class AffinityFallbackTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofMinutes(1);
    @TempDir
    Path dir;

    private static long lines(LogCapture log, String needle) {
        return log.text().lines().filter(l -> l.contains(needle)).count();
    }

    @Test
    void redisGoneIsLoggedOnceCountedLocalMeanwhileAndResynchronisedWhenBack() throws Exception {
        try (RealRedis redis = RealRedis.start(dir); RedisFixture f = new RedisFixture(redis); LogCapture log = new LogCapture()) {
            RedisAffinity one = f.unstarted(LEASE, Duration.ofMillis(100));
            RedisAffinity two = f.unstarted(LEASE, Duration.ofMillis(100));
            RedisAssignments s1 = RedisFixture.store(one, TTL);
            RedisAssignments s2 = RedisFixture.store(two, TTL);
            Assignments.Hold bob = s1.open("bob", "a");
            bob.accepted();

            redis.kill();
            Assignments.Hold carol1 = s1.open("carol", "b");
            assertTrue(one.degraded(), "local from the first failed call");
            carol1.accepted();
            Assignments.Hold carol2 = s1.open("carol", "b");
            assertEquals("b", s1.open("carol", "a").elsewhere(), "meanwhile, carol's own sessions keep her on b");
            Assignments.Hold erin = s1.open("erin", "b");
            erin.accepted();
            Assignments.Hold dave = s1.open("dave", "a");
            dave.released();
            bob.released(); // taken in Redis, given back while it is down
            assertFalse(one.beat(), "still down");
            assertEquals(1, lines(log, "user assignments are local to this proxy"), "said once");
            assertEquals(1, one.fallbacks(), "counted once");

            redis.restart(); // empty
            // another proxy puts erin on a before this one writes its sessions back
            Assignments.Hold erinElsewhere = s2.open("erin", "a");
            assertNull(erinElsewhere.elsewhere());
            assertTrue(one.beat(), "back");
            assertFalse(one.degraded());
            assertEquals(1, lines(log, "user assignments are shared again"));
            assertEquals(1, s1.splits(), "erin is on b here and on a there");
            log.awaitLine(Duration.ofSeconds(5), "user erin has sessions on two servers");

            String me = "c:" + f.look().hkeys(f.key("carol")).stream().filter(k -> k.startsWith("c:")).findFirst().orElseThrow().substring(2);
            assertEquals(Map.of("s", "b", "a", "1", me, "2"), f.look().hgetAll(f.key("carol")), "carol's two sessions written back");
            assertFalse(f.look().exists(f.key("bob")), "bob's session ended during the outage");
            assertFalse(f.look().exists(f.key("dave")));
            assertEquals("b", s2.open("carol", "a").elsewhere(), "the other proxy sees carol's sessions again");

            // the sessions opened during the outage end after it: counts go to zero, never below
            carol1.released();
            assertEquals("1", f.look().hget(f.key("carol"), me));
            carol2.released();
            carol2.released();
            assertEquals(Map.of("s", "b", "a", "1"), f.look().hgetAll(f.key("carol")));
            assertTrue(f.look().pttl(f.key("carol")) > 0, "idle now: affinity-ttl");
            erin.released();
            erinElsewhere.released();
            assertEquals(1, one.fallbacks());
        }
    }

    @Test
    void theMovesSubscriberComesBackWithRedis() throws Exception {
        try (RealRedis redis = RealRedis.start(dir); RedisFixture f = new RedisFixture(redis)) {
            RedisAssignments one = RedisFixture.store(f.proxy(LEASE), TTL);
            RedisAssignments two = RedisFixture.store(f.proxy(LEASE), TTL);
            java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            two.onMove((user, from, to) -> told.add(user + "->" + to));
            mailproxy.testing.Await.until(Duration.ofSeconds(10), "both subscribed", () -> f.subscribers() == 2);
            redis.restart();
            mailproxy.testing.Await.until(Duration.ofSeconds(20), "both subscribed again", () -> f.subscribers() == 2);
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            mailproxy.testing.Await.until(Duration.ofSeconds(10), "a move told to the other proxy again", () -> {
                one.move("bob", "s" + n.incrementAndGet()); // a new server each time: a move to where he is tells nobody
                return !told.isEmpty();
            });
        }
    }

    @Test
    void aMovePublishedWhileAProxyWasNotListeningReachesItOnceItListensAgain() throws Exception {
        try (RealRedis redis = RealRedis.start(dir); RedisFixture f = new RedisFixture(redis)) {
            RedisAssignments one = RedisFixture.store(f.proxy(LEASE), TTL);
            RedisAffinity slow = f.unstarted(LEASE, Duration.ofSeconds(2)); // waits 2 s before it listens again
            slow.start();
            RedisAssignments two = RedisFixture.store(slow, TTL);
            java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            two.onMove((user, from, to) -> told.add(user + " " + from + "->" + to));
            mailproxy.testing.Await.until(Duration.ofSeconds(10), "both subscribed", () -> f.subscribers() == 2);
            Assignments.Hold bob = two.open("bob", "a");
            bob.accepted();
            // both subscribers cut off; the move is published while nobody listens
            try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                j.clientKill(new ClientKillParams().type(ClientType.PUBSUB));
            }
            assertEquals("a", one.move("bob", "b"));
            // the proxy holding bob's session on a learns it when it follows the channel again
            mailproxy.testing.Await.until(Duration.ofSeconds(15), "the move told to the proxy that missed it", () -> !told.isEmpty());
            assertEquals(java.util.List.of("bob a->b"), told);
            bob.released();
        }
    }

    /**
     * Redis stops answering this proxy with its data kept (a network cut, a paused server;
     * here: a password suddenly required and the connections cut): a session that ends
     * meanwhile could not write its count of 0. Once Redis answers again that stale count
     * must not hold its user on the server for good (this proxy's lease, renewed all along,
     * kept it alive: a user pinned to a server that then went down could log in nowhere).
     */
    @Test
    void aSessionThatEndedWhileRedisDidNotAnswerHoldsItsUserNoLongerOnceRedisIsBack() throws Exception {
        try (RealRedis redis = RealRedis.start(dir); RedisFixture f = new RedisFixture(redis)) {
            RedisAffinity one = f.proxy(Duration.ofMillis(600)); // renews its lease every 100 ms
            RedisAffinity two = f.proxy(LEASE);
            RedisAssignments s1 = one.store("stores", TTL, 1, System::nanoTime); // affinity-max-users = 1
            RedisAssignments s2 = RedisFixture.store(two, TTL);
            Assignments.Hold bob = s1.open("bob", "a");
            bob.accepted();
            try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                j.configSet("requirepass", "outage-Pw9");
                j.clientKill(new ClientKillParams().type(ClientType.NORMAL));
            }
            // a name guessed during the outage: nothing of it reached Redis, and it takes no
            // room among the ends to write back
            s1.open("guessed", "a").released();
            assertTrue(one.degraded());
            bob.released(); // bob's last session ends while Redis does not answer
            try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                j.auth("outage-Pw9");
                j.configSet("requirepass", "");
            }
            mailproxy.testing.Await.until(Duration.ofSeconds(10), "both proxies back", () -> !one.degraded() && !two.degraded());
            mailproxy.testing.Await.until(Duration.ofSeconds(10), "bob's ended session no longer holds him on a", () -> {
                Assignments.Hold h = s2.open("bob", "b");
                h.released();
                return h.elsewhere() == null && !two.degraded();
            });
        }
    }

    /**
     * A move made through another proxy while this one did not reach Redis (README, "Several
     * proxies"): when Redis answers again, this proxy's write-back of its open sessions must
     * not put the user back on the server of its old session. Redis wins: the user stays
     * moved, this proxy's session of him on the old server is kicked (its move listeners are
     * told, as the move's own message would have had them), and his next login through this
     * proxy lands on the new server. Only this proxy is cut off: the other one logs in as
     * a user of its own (an ACL user), and the default user, this proxy's, needs a password
     * for the time of the outage.
     */
    @Test
    void aMoveMadeThroughAnotherProxyWhileThisOneWasCutOffIsNotUndoneByItsWriteBack() throws Exception {
        try (RealRedis redis = RealRedis.start(dir); RedisFixture f = new RedisFixture(redis)) {
            try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                j.aclSetUser("other-proxy", "on", ">other-Pw4", "~*", "&*", "+@all");
            }
            RedisAffinity p = f.unstarted(LEASE, Duration.ofMillis(100)); // lease and write-back driven by the test
            RedisAssignments s1 = RedisFixture.store(p, TTL);
            java.util.List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            s1.onMove((user, from, to) -> told.add(user + " " + from + "->" + to));
            try (RedisAffinity q = new RedisAffinity(RedisFixture.state("redis://other-proxy:other-Pw4@127.0.0.1:" + redis.port(),
                    f.prefix, LEASE, Duration.ofMillis(100)))) {
                RedisAssignments s2 = RedisFixture.store(q, TTL);
                Assignments.Hold bob = s1.open("bob", "a");
                bob.accepted();
                try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                    j.configSet("requirepass", "outage-Pw9");
                    j.clientKill(new ClientKillParams().user("default"));
                }
                assertFalse(p.beat(), "this proxy is cut off");
                assertTrue(p.degraded());
                // the operator moves bob through the other proxy
                assertEquals("a", s2.move("bob", "b"));
                try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                    j.auth("other-proxy", "other-Pw4");
                    j.configSet("requirepass", "");
                }
                assertTrue(p.beat(), "back: this proxy writes its open sessions back");
                assertEquals("b", f.look().hget(f.key("bob"), "s"), "Redis still has bob on b");
                assertEquals(java.util.List.of("bob a->b"), told, "this proxy's session of bob on a is kicked");
                assertEquals("b", s1.assigned("bob"));
                Assignments.Hold next = s1.open("bob", "b");
                assertNull(next.elsewhere(), "bob's next login through this proxy lands on b");
                next.accepted();
                bob.released(); // the kicked session ends
                assertEquals("b", f.look().hget(f.key("bob"), "s"));
                Assignments.Hold there = s2.open("bob", "a");
                assertEquals("b", there.elsewhere(), "the other proxy sees bob's session on b");
                there.released();
                assertEquals(0, s1.splits());
                next.released();
            }
        }
    }

    /**
     * A Redis that does not answer in time is not asked again on a fresh connection: the
     * call gives up after one state.timeout (reference.conf: "a login waits at most this
     * long for it"), and a script whose reply was late is not run twice (a move run twice
     * would find the user already moved and tell no proxy to kick his old sessions).
     */
    @Test
    void aRedisThatDoesNotAnswerInTimeIsAskedOnceNotAgainOnAFreshConnection() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            java.util.List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) accepted.add(silent.accept());
                } catch (java.io.IOException e) {
                    // closed: the test is over
                }
            });
            RedisAffinity a = new RedisAffinity(RedisFixture.state("redis://127.0.0.1:" + silent.getLocalPort(), "silent:",
                    LEASE, Duration.ofMillis(100)));
            try {
                int before = acceptedAll(silent, accepted); // the client's own first connection, made as it is built
                org.junit.jupiter.api.Assertions.assertThrows(RedisAffinity.Down.class, () -> a.get("silent:k", "s"));
                assertTrue(a.degraded());
                // the first marker, then one connection for the call, not a second on a fresh one
                assertEquals(before + 2, acceptedAll(silent, accepted), accepted.toString());
            } finally {
                a.stopWithoutGoodbye();
                silent.close();
                acceptor.join(5000);
                for (java.net.Socket s : accepted) s.close();
            }
        }
    }

    /** How many connections {@code server} accepted before a marker of the test's own (once the marker is in, every earlier one is). */
    private static int acceptedAll(java.net.ServerSocket server, java.util.List<java.net.Socket> accepted) throws java.io.IOException {
        try (java.net.Socket marker = new java.net.Socket(server.getInetAddress(), server.getLocalPort())) {
            mailproxy.testing.Await.until(Duration.ofSeconds(5), "the marker accepted",
                    () -> accepted.stream().anyMatch(s -> s.getPort() == marker.getLocalPort()));
            int i = 0;
            for (java.net.Socket s : accepted) {
                if (s.getPort() == marker.getLocalPort()) return i;
                i++;
            }
            throw new AssertionError("marker lost");
        }
    }
}
