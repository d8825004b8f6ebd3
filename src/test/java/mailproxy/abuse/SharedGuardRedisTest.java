package mailproxy.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RealRedis;
import mailproxy.testing.RedisPerClass;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two proxies sharing one real redis-server, end to end: guessing spread over both (and over
 * protocols) is throttled and blocked as one; a user's session limit holds across both;
 * Redis killed mid-run leaves both serving on local counters with one warning each, and
 * brought back it is used again (one line each); with on-redis-down = refuse, logins get
 * the protocol's temporary failure while it is down.
 */
@Timeout(120)
class SharedGuardRedisTest {
    private static final Map<String, String> USERS = Map.of("bob", "secret", "carol", "carols-secret");
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();
    static FakeBackends.Trio mail;

    @BeforeAll
    static void start() throws Exception {
        mail = FakeBackends.trio(USERS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (mail != null) mail.close();
    }

    /** A proxy on {@code r} under a key prefix its twin shares; {@code more} is added to mailproxy.state. */
    private static TestProxy proxy(RealRedis r, String prefix, String more) throws Exception {
        return Probes.proxy(mail, """
                limits { max-errors = 30 }
                guard { auth-delay = 100ms, auth-max-delay = 400ms, block-after = 4, window = 1m, block-time = 1m,
                        max-connections-per-ip = 0, max-sessions-per-user = 2 }
                state { redis = "%s", key-prefix = "%s", timeout = 300ms, retry-interval = 200ms, %s }
                """.formatted(r.url(), prefix, more));
    }

    private static String prefix() {
        return "abuse" + PREFIXES.incrementAndGet() + ":";
    }

    @Test
    void guessingSpreadOverTwoProxiesIsThrottledAndBlockedAsOne() throws Exception {
        String prefix = prefix();
        try (TestProxy a = proxy(redis.server(), prefix, ""); TestProxy b = proxy(redis.server(), prefix, "")) {
            try (Dialogue onA = Dialogue.open("pop3", "127.0.0.2", a.address("pop3"));
                 Dialogue onB = Dialogue.open("imap", "127.0.0.2", b.address("imap"))) {
                long[] expected = {100, 200, 400, 400};
                for (int i = 0; i < expected.length; i++) {
                    Dialogue d = i % 2 == 0 ? onA : onB;
                    d.assertRefused("bob", "guess-" + i);
                    // the count goes on where the other proxy left it
                    assertTrue(d.lastReplyMillis >= expected[i] - 10,
                            "failure " + (i + 1) + " after " + d.lastReplyMillis + " ms, configured " + expected[i]);
                }
                onA.assertBlocked("bob", "secret");
                onB.assertBlocked("bob", "secret");
            }
            for (TestProxy p : new TestProxy[] {a, b}) {
                try (Dialogue other = Dialogue.open("smtp", "127.0.0.3", p.address("smtp"))) {
                    assertTrue(Dialogue.success("smtp", other.login("bob", "secret")), "another address logs in");
                }
            }
        }
    }

    @Test
    void aUsersSessionLimitHoldsAcrossBothProxies() throws Exception {
        String prefix = prefix();
        try (TestProxy a = proxy(redis.server(), prefix, ""); TestProxy b = proxy(redis.server(), prefix, "")) {
            try (Dialogue first = Dialogue.open("pop3", "127.0.0.2", a.address("pop3"))) {
                assertTrue(Dialogue.success("pop3", first.login("bob", "secret")));
                try (Dialogue second = Dialogue.open("imap", "127.0.0.3", b.address("imap"))) {
                    assertTrue(Dialogue.success("imap", second.login("bob", "secret")));
                    try (Dialogue third = Dialogue.open("pop3", "127.0.0.4", b.address("pop3"))) {
                        assertEquals("-ERR [IN-USE] Too many sessions for this user", third.login("bob", "secret"));
                        assertTrue(third.client.closedByPeer(), "closed after the refusal");
                    }
                    try (Dialogue other = Dialogue.open("pop3", "127.0.0.4", a.address("pop3"))) {
                        assertTrue(Dialogue.success("pop3", other.login("carol", "carols-secret")), "other users are not limited");
                        other.logout();
                    }
                    second.logout();
                }
                Probes.awaitNoSessions(b, Duration.ofSeconds(10));
                try (Dialogue again = Dialogue.open("smtp", "127.0.0.4", b.address("smtp"))) {
                    assertTrue(Dialogue.success("smtp", again.login("bob", "secret")), "the place given back on B is free");
                }
            }
        }
    }

    @Test
    void redisKilledMidRunThenBroughtBack(@TempDir Path own) throws Exception {
        String prefix = prefix();
        try (RealRedis r = RealRedis.start(own);
             LogCapture log = new LogCapture();
             TestProxy a = proxy(r, prefix, "");
             TestProxy b = proxy(r, prefix, "")) {
            loginAndFail(a, "127.0.0.3");
            r.kill();
            // both go on with local counters: failures answered, right passwords let in
            for (int i = 0; i < 3; i++) {
                loginAndFail(a, "127.0.0.3");
                loginAndFail(b, "127.0.0.3");
            }
            assertEquals(2, Probes.count(log.text(), "unreachable"), "one warning per proxy:\n" + log.text());

            r.restart();
            Await.value(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
                if (Probes.count(log.text(), "reachable again") >= 2) return true;
                loginOk(a, "127.0.0.3");
                loginOk(b, "127.0.0.3");
                return null;
            });
            assertEquals(2, Probes.count(log.text(), "reachable again"), "one line per proxy:\n" + log.text());
            assertEquals(2, Probes.count(log.text(), "unreachable"), "no further warning:\n" + log.text());

            // shared again: two failures on each block the address on both
            try (Dialogue onA = Dialogue.open("pop3", "127.0.0.5", a.address("pop3"));
                 Dialogue onB = Dialogue.open("pop3", "127.0.0.5", b.address("pop3"))) {
                for (int i = 0; i < 4; i++) (i % 2 == 0 ? onA : onB).assertRefused("carol", "guess-" + i);
                onA.assertBlocked("carol", "carols-secret");
            }
        }
    }

    @Test
    void refuseModeGivesTheTemporaryFailureWhileRedisIsDown(@TempDir Path own) throws Exception {
        try (RealRedis r = RealRedis.start(own); TestProxy p = proxy(r, prefix(), "on-redis-down = refuse")) {
            loginOk(p, "127.0.0.2");
            r.kill();
            try (Dialogue d = Dialogue.open("pop3", "127.0.0.2", p.address("pop3"))) {
                assertEquals("-ERR [SYS/TEMP] Temporary failure, please try again later.", d.login("bob", "secret"));
                assertTrue(d.client.closedByPeer());
            }
            try (Dialogue d = Dialogue.open("imap", "127.0.0.2", p.address("imap"))) {
                assertEquals("NO [UNAVAILABLE] Service temporarily unavailable, try again later.", d.login("bob", "secret"));
                assertEquals("* BYE Service unavailable, try again later", d.client.readLine());
                assertTrue(d.client.closedByPeer());
            }
            try (Dialogue d = Dialogue.open("smtp", "127.0.0.2", p.address("smtp"))) {
                assertEquals("421 4.3.0 localhost Service temporarily unavailable, try again later", d.login("bob", "secret"));
                assertTrue(d.client.closedByPeer());
            }
            r.restart();
            String[] last = {null};
            Await.value(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
                try (Dialogue d = Dialogue.open("pop3", "127.0.0.2", p.address("pop3"))) {
                    last[0] = d.login("bob", "secret");
                }
                return Dialogue.success("pop3", last[0]) ? last[0] : null;
            });
            String reply = last[0];
            assertTrue(Dialogue.success("pop3", reply), "logins served again once Redis is back: " + reply);
        }
    }

    private static void loginAndFail(TestProxy p, String from) throws Exception {
        try (Dialogue d = Dialogue.open("pop3", from, p.address("pop3"))) {
            d.assertRefused("carol", "wrong");
            assertTrue(Dialogue.success("pop3", d.login("bob", "secret")));
            d.logout();
        }
    }

    private static void loginOk(TestProxy p, String from) throws Exception {
        try (Dialogue d = Dialogue.open("imap", from, p.address("imap"))) {
            String reply = d.login("bob", "secret");
            assertTrue(Dialogue.success("imap", reply), reply);
            d.logout();
        }
    }
}
