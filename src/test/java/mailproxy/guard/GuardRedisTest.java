package mailproxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.config.GuardConfig;
import mailproxy.testing.Await;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RealRedis;
import mailproxy.testing.RedisPerClass;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/**
 * Two proxies sharing one real redis-server are throttled and limited as one; Redis going
 * away mid-run leaves the guard working on local state with one warning, and it comes back
 * by itself when Redis does.
 */
@Timeout(60)
class GuardRedisTest {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    /** The protocol of the sessions counted here (jedis has a Protocol of its own). */
    private static final mailproxy.config.Protocol IMAP = mailproxy.config.Protocol.IMAP;
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();
    private final List<Guard> guards = new ArrayList<>();

    @AfterEach
    void closeGuards() {
        guards.forEach(Guard::close);
    }

    private Guard guard(RealRedis r, String prefix, String guardKeys, String stateKeys) {
        GuardConfig c = GuardConfigs.of(guardKeys, "redis = \"" + r.url() + "\", key-prefix = \"" + prefix + "\", " + stateKeys);
        Guard g = Guard.start(c);
        guards.add(g);
        return g;
    }

    private static String prefix() {
        return "test" + PREFIXES.incrementAndGet() + ":";
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    /** The guards of two proxies sharing one Redis (the same key prefix), with these guard keys. */
    private Guard[] twoProxies(String keys) throws Exception {
        String p = prefix();
        return new Guard[] {guard(redis.server(), p, keys, ""), guard(redis.server(), p, keys, "")};
    }

    @Test
    void failuresOnOneProxyCountOnTheOther() throws Exception {
        Guard[] ab = twoProxies("block-after = 4");
        Guard a = ab[0], b = ab[1];
        InetAddress client = ip("198.51.100.7");
        assertEquals(2, a.delayBeforeFailureReply(client, "bob", "pw1").toSeconds());
        assertEquals(4, b.delayBeforeFailureReply(client, "bob", "pw2").toSeconds());
        assertEquals(8, a.delayBeforeFailureReply(client, "bob", "pw3").toSeconds());
        assertFalse(a.blocked(client));
        b.delayBeforeFailureReply(client, "bob", "pw4");
        assertTrue(a.blocked(client), "blocked by B, seen by A");
        assertTrue(b.blocked(client));
        a.loginSucceeded(ip("192.0.2.1"), "carol");
        assertTrue(b.blocked(client));
    }

    @Test
    void aUsersSessionLimitHoldsAcrossProxies() throws Exception {
        Guard[] ab = twoProxies("max-sessions-per-user = 2, max-connections-per-ip = 3");
        Guard a = ab[0], b = ab[1];
        InetAddress client = ip("198.51.100.7");
        Guard.Permit s1 = a.admitUser(client, "bob", IMAP);
        Guard.Permit s2 = b.admitUser(client, "Bob", IMAP);
        assertTrue(s1.ok() && s2.ok());
        assertFalse(a.admitUser(client, "bob", IMAP).ok());
        assertFalse(b.admitUser(client, "bob", IMAP).ok());
        s2.close();
        assertTrue(a.admitUser(client, "bob", IMAP).ok(), "given back on B, free on A");
        for (int i = 0; i < 3; i++) assertTrue((i % 2 == 0 ? a : b).admit(client).ok());
        assertFalse(a.admit(client).ok(), "per-address limit over both proxies");
    }

    @Test
    void everyKeyHasAnExpiryAndNoneHoldsThePassword() throws Exception {
        String p = prefix();
        Guard a = guard(redis.server(), p, "", "");
        InetAddress client = ip("2001:db8:1:2::7");
        a.delayBeforeFailureReply(client, "bob", "hunter2-secret");
        a.delayBeforeFailureReply(client, "bob", "hunter2-secret");
        a.admit(client);
        a.admitUser(client, "bob", IMAP);
        for (int i = 0; i < 20; i++) a.delayBeforeFailureReply(client, "user" + i, "x");
        try (RedisClient raw = RedisClient.create("127.0.0.1", redis.port())) {
            Set<String> keys = raw.keys(p + "*");
            assertTrue(keys.contains(p + "block:2001:db8:1:2:0:0:0:0/64"), keys.toString());
            assertTrue(keys.contains(p + "conn:2001:db8:1:2:0:0:0:0/64"), keys.toString());
            assertTrue(keys.contains(p + "sess:bob"), keys.toString());
            assertTrue(keys.contains(p + "userip:imap:2001:db8:1:2:0:0:0:0/64:bob"), keys.toString());
            for (String k : keys) {
                long ttl = raw.pttl(k);
                assertTrue(ttl > 0, k + " has no expiry: " + ttl);
                assertFalse(raw.type(k).equals("string") && raw.get(k).contains("hunter2"), k);
            }
        }
    }

    @Test
    void redisGoingAwayFallsBackWithOneWarningAndComesBack(@TempDir Path own) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (RealRedis r = RealRedis.start(own)) {
            String p = prefix();
            Guard a = guard(r, p, "max-sessions-per-user = 1", "retry-interval = 200ms, timeout = 300ms");
            InetAddress client = ip("198.51.100.7");
            assertEquals(2, a.delayBeforeFailureReply(client, "bob", "pw1").toSeconds());
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            r.kill();
            for (int i = 0; i < 20; i++) {
                a.delayBeforeFailureReply(client, "alice", "pw" + i); // local now: no exception
                assertTrue(a.available(), "on-redis-down = local goes on");
            }
            assertEquals(2, a.delayBeforeFailureReply(client, "carol", "x").toSeconds(), "local counters start afresh");
            String log = captured.toString(StandardCharsets.UTF_8);
            assertEquals(1, count(log, "unreachable"), log);
            assertFalse(log.contains("pw1") || log.contains("pw2"), log);

            r.restart();
            boolean back = Await.until(Duration.ofSeconds(5), () -> {
                a.blocked(client);
                return captured.toString(StandardCharsets.UTF_8).contains("reachable again");
            });
            assertTrue(back, captured.toString(StandardCharsets.UTF_8));
            Guard b = guard(r, p, "max-sessions-per-user = 1", "");
            assertTrue(a.admitUser(client, "dave", IMAP).ok());
            assertFalse(b.admitUser(client, "dave", IMAP).ok(), "shared again");
            log = captured.toString(StandardCharsets.UTF_8);
            assertEquals(1, count(log, "unreachable"), log);
            assertEquals(1, count(log, "reachable again"), log);
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void refuseModeSaysUnavailableWhileRedisIsDown(@TempDir Path own) throws Exception {
        try (RealRedis r = RealRedis.start(own)) {
            Guard a = guard(r, prefix(), "", "on-redis-down = refuse, retry-interval = 200ms, timeout = 300ms");
            assertTrue(a.available());
            r.kill();
            assertFalse(a.available(), "logins get the temporary failure");
            assertFalse(a.blocked(ip("198.51.100.7")), "the rest works on local state");
            r.restart();
            boolean back = Await.until(Duration.ofSeconds(5), a::available);
            assertTrue(back, "available again once Redis answers");
        }
    }

    @Test
    void redisDownAtStartupIsNoStartupError() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        GuardConfig c = GuardConfigs.of("", "redis = \"redis://127.0.0.1:" + closed + "\", timeout = 300ms");
        try (Guard g = Guard.start(c)) {
            assertEquals(2, g.delayBeforeFailureReply(ip("198.51.100.7"), "bob", "x").toSeconds());
            assertTrue(g.admit(ip("198.51.100.7")).ok());
            assertTrue(g.available());
        }
    }

    @Test
    void aPlaceTakenWhileRedisStalledDoesNotLowerOtherProxiesCountsWhenGivenBack() throws Exception {
        String p = prefix();
        try (LogCapture log = new LogCapture()) {
            Guard a = guard(redis.server(), p, "max-connections-per-ip = 3", "timeout = 300ms, retry-interval = 200ms");
            Guard b = guard(redis.server(), p, "max-connections-per-ip = 3", "");
            InetAddress client = ip("198.51.100.9");
            assertTrue(b.admit(client).ok() && b.admit(client).ok(), "two places on B, in Redis");
            pause(redis.server(), Duration.ofSeconds(2));
            Guard.Permit onA = a.admit(client);
            assertTrue(onA.ok(), "Redis does not answer: A counts on its own table");
            assertTrue(Await.until(Duration.ofSeconds(10), redis.server()::pings), "redis answers again");
            assertTrue(Await.until(Duration.ofSeconds(10), () -> {
                a.blocked(client); // any call notices Redis is back
                return log.text().contains("reachable again");
            }), log.text());
            onA.close();
            assertTrue(b.admit(client).ok(), "B's two and one more");
            assertFalse(b.admit(client).ok(), "A giving back its own place did not take one of B's");
        }
    }

    @Test
    void aCrashedProxysPlacesAreFreedWithinItsLeaseWhileLiveOnesStay() throws Exception {
        String p = prefix();
        String state = "redis = \"" + redis.url() + "\", key-prefix = \"" + p + "\", instance-lease = 1s";
        // a proxy that crashed: it never gives back, nor says it is alive, after its last call
        Guard crashed = Guard.start(GuardConfigs.of("max-connections-per-ip = 3", state), false);
        guards.add(crashed);
        Guard live = Guard.start(GuardConfigs.of("max-connections-per-ip = 3", state));
        guards.add(live);
        InetAddress client = ip("198.51.100.10");
        assertTrue(crashed.admit(client).ok() && crashed.admit(client).ok());
        assertTrue(live.admit(client).ok());
        assertFalse(live.admit(client).ok(), "three places taken over both");
        assertTrue(Await.until(Duration.ofSeconds(10), () -> {
            Guard.Permit probe = live.admit(client);
            probe.close();
            return probe.ok();
        }), "the crashed proxy's places expire within seconds, not session-count-ttl");
        assertTrue(live.admit(client).ok() && live.admit(client).ok(), "two more on the live proxy");
        assertFalse(live.admit(client).ok(), "the live proxy's own places outlive its lease: it keeps saying it is alive");
    }

    /** CLIENT PAUSE: Redis holds every client's commands for this long, then answers them. */
    private static void pause(RealRedis r, Duration d) {
        try (RedisClient raw = RedisClient.create("127.0.0.1", r.port())) {
            raw.sendCommand(Protocol.Command.CLIENT, "PAUSE", Long.toString(d.toMillis()));
        }
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) n++;
        return n;
    }
}
