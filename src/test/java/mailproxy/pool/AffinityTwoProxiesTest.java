package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * proxies"): the second proxy's hash sends bob to one server (seen first, alone); the
 * first, with that server drained in its own view, holds bob's session on the other; the
 * second then sends his next login where the open session is, not where its hash says
 * (audit route=assigned: the assignment is the first proxy's, read from Redis); once that
 * session has ended (affinity-ttl = 0s), its hash decides again. (The race rule,
 * route=elsewhere, is RacePoolTest's.) Nothing here rests on chance: the servers' ports,
 * and so the hash's choice, differ from run to run.
 */
@Timeout(120)
class AffinityTwoProxiesTest {
    @RegisterExtension
    static final DovecotPair dovecots = DovecotPair.separate();
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();

    /** A proxy whose listener is named {@code name}, in front of the two Dovecots. */
    private static TestProxy proxy(String name) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  limits { greeting-timeout = 1s, connect-timeout = 1s }
                  state { redis = "%s", key-prefix = "two-proxies:", timeout = 1s }
                  backends { stores {
                    servers = [ { host = "127.0.0.1", imap-port = %d }, { host = "127.0.0.1", imap-port = %d } ]
                    imap { port = 143 }
                    health { interval = 0s }
                    affinity-ttl = 0s
                  } }
                  routers { r { type = static, default = stores } }
                  listeners = [ { name = %s, protocol = imap, listen = "127.0.0.1:0" } ]
                }""".formatted(redis.url(), dovecots.one().imapPort(), dovecots.two().imapPort(), name));
    }

    /** C: a LOGIN through {@code p}; the session stays open. The client; the audit line of its login goes to {@code line}. */
    private static RawClient login(TestProxy p, String listener, LogCapture log, List<String> line) throws Exception {
        DovecotPair.HeldLogin h = DovecotPair.holdLogin(p, listener, log);
        line.add(h.audit());
        return h.client();
    }

    @Test
    void theSecondProxySendsBobWhereTheFirstHoldsHisSessionNotWhereItsHashSays() throws Exception {
        try (LogCapture log = new LogCapture(); TestProxy second = proxy("second")) {
            List<String> audit = new ArrayList<>();
            // alone: where the second proxy's hash sends bob
            try (RawClient alone = login(second, "second", log, audit)) {
                assertTrue(audit.getLast().contains(" route=hash "), audit.getLast());
            }
            RealDovecot hashChoice = dovecots.serverOf(audit.getLast());
            RealDovecot home = dovecots.other(hashChoice);
            Await.until(Duration.ofSeconds(5), "bob's session ended", () -> !redisHasSessionsOf("bob"));
            try (TestProxy first = proxy("first")) {
                // the first proxy takes no new users on the hash's choice: it holds bob on the other
                first.server().drain("127.0.0.1:" + hashChoice.imapPort());
                try (RawClient held = login(first, "first", log, audit)) {
                    assertEquals(home, dovecots.serverOf(audit.getLast()), audit.getLast());
                    try (RawClient joining = login(second, "second", log, audit)) {
                        assertEquals(home, dovecots.serverOf(audit.getLast()), "where bob's open session is: " + audit.getLast());
                        assertTrue(audit.getLast().contains(" route=assigned "), audit.getLast());
                        joining.exchange("b NOOP", "b OK");
                    }
                    held.exchange("b LOGOUT", "* BYE");
                }
            }
            // no session left and affinity-ttl = 0s: the second proxy's own hash decides again
            Await.until(Duration.ofSeconds(5), "bob's sessions ended", () -> !redisHasSessionsOf("bob"));
            try (RawClient alone = login(second, "second", log, audit)) {
                assertEquals(hashChoice, dovecots.serverOf(audit.getLast()), "the second proxy's hash: " + audit.getLast());
                assertTrue(audit.getLast().contains(" route=hash "), audit.getLast());
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
