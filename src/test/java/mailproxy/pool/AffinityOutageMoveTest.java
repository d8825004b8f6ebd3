package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import mailproxy.server.ProxyServer;
import mailproxy.testing.DovecotPair;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RedisPerClass;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ClientKillParams;

/**
 * A move during one proxy's Redis outage (README, "Several proxies"), against two real
 * Dovecots and a real redis-server: proxy P holds bob's IMAP session; P is cut off from
 * Redis (its user, Redis's default one, needs a password for a while and its connections are
 * killed; proxy Q logs in as an ACL user of its own and is not cut off); the operator moves
 * bob to the other server through Q. When P reaches Redis again its write-back must not put
 * bob back: Redis still says the other server, P's session of bob is kicked (S: * BYE
 * [UNAVAILABLE]), and bob's next login through P lands on the other server.
 */
@Timeout(120)
class AffinityOutageMoveTest {
    private static final String Q_USER = "outage-q";
    private static final String Q_PASSWORD = "q-Pw-5Rt";
    private static final String PREFIX = "outage-move:";
    @RegisterExtension
    static final DovecotPair dovecots = DovecotPair.separate();
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();

    /** A proxy whose listener is named {@code name}, reaching Redis at {@code url}; the lease renewed every 500 ms. */
    private static TestProxy proxy(String name, String url) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  limits { greeting-timeout = 1s, connect-timeout = 1s }
                  state { redis = "%s", key-prefix = "%s", timeout = 1s, instance-lease = 1500ms, retry-interval = 200ms }
                  backends { stores {
                    servers = [ { host = "127.0.0.1", imap-port = %d }, { host = "127.0.0.1", imap-port = %d } ]
                    imap { port = 143 }
                    health { interval = 0s }
                  } }
                  routers { r { type = static, default = stores } }
                  listeners = [ { name = %s, protocol = imap, listen = "127.0.0.1:0" } ]
                }""".formatted(url, PREFIX, dovecots.one().imapPort(), dovecots.two().imapPort(), name));
    }

    /** C: a LOGIN of bob through {@code p}; the session stays open. The client and the server it went to. */
    private record Held(RawClient client, RealDovecot server) {}

    private static Held login(TestProxy p, String listener, LogCapture log) throws Exception {
        DovecotPair.HeldLogin h = DovecotPair.holdLogin(p, listener, log);
        return new Held(h.client(), dovecots.serverOf(h.audit()));
    }

    private static Jedis redisAsQ() {
        Jedis j = new Jedis("127.0.0.1", redis.port());
        j.auth(Q_USER, Q_PASSWORD);
        return j;
    }

    @Test
    void aMoveThroughAnotherProxyDuringThisOnesOutageIsNotUndoneAndItsSessionIsKicked() throws Exception {
        try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
            j.aclSetUser(Q_USER, "on", ">" + Q_PASSWORD, "~*", "&*", "+@all");
        }
        String qUrl = "redis://" + Q_USER + ":" + Q_PASSWORD + "@127.0.0.1:" + redis.port();
        try (LogCapture log = new LogCapture(); TestProxy p = proxy("p", redis.url()); TestProxy q = proxy("q", qUrl)) {
            Held held = login(p, "p", log);
            RealDovecot home = held.server();
            RealDovecot other = dovecots.other(home);
            try (RawClient bob = held.client()) {
                // P is cut off from Redis
                try (Jedis j = redisAsQ()) {
                    j.configSet("requirepass", "outage-Pw9");
                    j.clientKill(new ClientKillParams().user("default"));
                }
                log.awaitLine(Duration.ofSeconds(10), "user assignments are local to this proxy");
                // the operator moves bob through Q
                ProxyServer.Action moved = q.server().move("bob", "127.0.0.1:" + other.imapPort(), null, Duration.ZERO);
                assertEquals(200, moved.status(), moved.text());
                try (Jedis j = redisAsQ()) {
                    j.configSet("requirepass", "");
                }
                log.awaitLine(Duration.ofSeconds(10), "user assignments are shared again");
                // S: * BYE [UNAVAILABLE] ...: P's session of bob is on the wrong server now
                kicked(bob);
            }
            try (Jedis j = redisAsQ()) {
                assertEquals("127.0.0.1:" + other.imapPort(), j.hget(PREFIX + "affinity:stores:bob", "s"), "Redis still says the other server");
            }
            Held next = login(p, "p", log);
            try (RawClient c = next.client()) {
                assertEquals(other, next.server(), "bob's next login through P lands where he was moved");
                c.exchange("z LOGOUT", "* BYE");
            }
            String metrics = scrape(p);
            assertTrue(metrics.contains("mailproxy_pool_split_sessions_total{pool=\"stores\"} 0.0"), metrics);
        }
    }

    /** S: * BYE [UNAVAILABLE] ..., then the close (a kick, README "Moving users"). */
    private static void kicked(RawClient imap) throws IOException {
        imap.timeout(10_000);
        imap.expect("* BYE [UNAVAILABLE]");
        assertTrue(imap.closedByPeer());
    }

    private static String scrape(TestProxy p) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        p.server().metrics().write(b);
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
