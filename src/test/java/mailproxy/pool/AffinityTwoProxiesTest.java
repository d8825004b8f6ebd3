package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mailproxy.testing.Await;
import mailproxy.testing.DovecotPair;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RedisPerClass;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two proxies sharing one real redis-server in front of two real Dovecots (README, "Several
 * proxies"): the first holds bob's session on his server; the second, whose weights make
 * its hash choose the other server for bob, sends his next login where the open session
 * is (audit route=assigned: the assignment is the first proxy's, read from Redis); once
 * that session has ended (affinity-ttl = 0s), its hash decides again, which shows it would
 * have chosen the other. (The race rule, route=elsewhere, is RedisPoolTest's.)
 */
@Timeout(120)
class AffinityTwoProxiesTest {
    @RegisterExtension
    static final DovecotPair dovecots = DovecotPair.separate();
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();

    /** A proxy whose listener is named {@code name}, with these weights for the two Dovecots. */
    private static TestProxy proxy(String name, int weightOne, int weightTwo) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  limits { greeting-timeout = 1s, connect-timeout = 1s }
                  state { redis = "%s", key-prefix = "two-proxies:", timeout = 1s }
                  backends { stores {
                    servers = [ { host = "127.0.0.1", imap-port = %d, weight = %d },
                                { host = "127.0.0.1", imap-port = %d, weight = %d } ]
                    imap { port = 143 }
                    health { interval = 0s }
                    affinity-ttl = 0s
                  } }
                  routers { r { type = static, default = stores } }
                  listeners = [ { name = %s, protocol = imap, listen = "127.0.0.1:0" } ]
                }""".formatted(redis.url(), dovecots.one().imapPort(), weightOne, dovecots.two().imapPort(), weightTwo, name));
    }

    private static List<String> logins(LogCapture log, String listener) {
        return DovecotPair.logins(log).stream().filter(l -> l.contains("listener=" + listener + " ")).toList();
    }

    /** C: a LOGIN through {@code p}; the session stays open. The client, and the audit line of its login. */
    private static RawClient login(TestProxy p, String listener, LogCapture log, List<String> line) throws Exception {
        int before = logins(log, listener).size();
        RawClient c = RawClient.connect(p.port(listener));
        c.expect("* OK");
        c.exchange("a LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD, "a OK");
        Await.until(Duration.ofSeconds(5), "the audit line", () -> logins(log, listener).size() > before);
        List<String> lines = logins(log, listener);
        line.add(lines.get(lines.size() - 1));
        return c;
    }

    @Test
    void theSecondProxySendsBobWhereTheFirstHoldsHisSessionNotWhereItsHashSays() throws Exception {
        try (LogCapture log = new LogCapture(); TestProxy first = proxy("first", 1, 1)) {
            List<String> audit = new ArrayList<>();
            try (RawClient held = login(first, "first", log, audit)) {
                RealDovecot home = dovecots.serverOf(audit.getLast());
                RealDovecot other = dovecots.other(home);
                // the second proxy's hash prefers the other server by far (weight 100 to 1)
                try (TestProxy second = home == dovecots.one() ? proxy("second", 1, 100) : proxy("second", 100, 1)) {
                    try (RawClient joining = login(second, "second", log, audit)) {
                        assertEquals(home, dovecots.serverOf(audit.getLast()), "where bob's open session is: " + audit.getLast());
                        assertTrue(audit.getLast().contains(" route=assigned "), audit.getLast());
                        joining.exchange("b NOOP", "b OK");
                    }
                    held.exchange("b LOGOUT", "* BYE");
                    // no session left and affinity-ttl = 0s: the second proxy's own hash decides
                    Await.until(Duration.ofSeconds(5), "bob's sessions ended", () -> !redisHasSessionsOf("bob"));
                    try (RawClient alone = login(second, "second", log, audit)) {
                        assertEquals(other, dovecots.serverOf(audit.getLast()), "the second proxy's hash: " + audit.getLast());
                        assertTrue(audit.getLast().contains(" route=hash "), audit.getLast());
                    }
                    assertNotEquals(home, other);
                }
            }
        }
    }

    /** Whether any proxy counts an open session of {@code user} in Redis. */
    private static boolean redisHasSessionsOf(String user) {
        try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", redis.port())) {
            return j.hkeys("two-proxies:affinity:stores:" + user).stream().anyMatch(k -> k.startsWith("c:"));
        }
    }
}
