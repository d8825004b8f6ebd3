package mailproxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.RedisPerClass;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/**
 * The attack of issue 19, item 4, end to end against a real redis-server: sessions that end
 * while Redis does not answer (a 4 s {@code CLIENT PAUSE}) must not leave their places taken
 * in Redis. Before the fix the places were given back to the local table, the Redis counter
 * stayed up until session-count-ttl (1 h), and the address (or user) was refused for an hour.
 */
@Timeout(90)
class RedisStallTest {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final Duration PAUSE = Duration.ofSeconds(4);
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();
    static FakeBackend pop3;

    @BeforeAll
    static void start() throws Exception {
        pop3 = FakeBackends.pop3().password("secret").start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pop3 != null) pop3.close();
    }

    private static TestProxy proxy(String prefix, String guard) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  backends { b { host = "127.0.0.1", pop3 { port = %d } } }
                  routers { r { type = static, default = b } }
                  default-router = r
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" } ]
                  guard { %s }
                  state { redis = "%s", key-prefix = "%s", timeout = 300ms, retry-interval = 200ms }
                }
                """.formatted(pop3.port(), guard, redis.url(), prefix));
    }

    @Test
    void connectionsClosedWhileRedisIsPausedGiveTheirPlacesBack() throws Exception {
        String prefix = "stall" + PREFIXES.incrementAndGet() + ":";
        try (TestProxy proxy = proxy(prefix, "max-connections-per-ip = 3")) {
            List<RawClient> three = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RawClient c = RawClient.connectFrom("127.0.0.2", proxy.port("pop3"));
                c.expect("+OK");
                three.add(c);
            }
            try (RawClient fourth = RawClient.connectFrom("127.0.0.2", proxy.port("pop3"))) {
                fourth.transcript("""
                        S: -ERR [IN-USE] Too many connections from your address
                        S closes
                        """);
            }
            assertEquals(3, countInRedis(prefix, "conn:"), "the three places are taken in Redis");

            closeDuringAPause(proxy, three, "the three sessions ended during the pause", prefix, "conn:");
            try (RawClient next = RawClient.connectFrom("127.0.0.2", proxy.port("pop3"))) {
                next.expect("+OK");
            }
        }
    }

    /** Per user (sess:), and per user and address (userip:, max-sessions-per-user-ip): both are shares in guard.Places. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            max-sessions-per-user = 2                                | sess:
            max-sessions-per-user = 0, max-sessions-per-user-ip = 2  | userip:
            """)
    void sessionsEndedWhileRedisIsPausedGiveTheirUserPlacesBack(String limit, String counter) throws Exception {
        String prefix = "stall" + PREFIXES.incrementAndGet() + ":";
        try (TestProxy proxy = proxy(prefix, "max-connections-per-ip = 0, " + limit)) {
            List<RawClient> two = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RawClient c = RawClient.connectFrom("127.0.0.2", proxy.port("pop3"));
                login(c, "+OK Logged in.");
                two.add(c);
            }
            try (RawClient third = RawClient.connectFrom("127.0.0.2", proxy.port("pop3"))) {
                login(third, "-ERR [IN-USE] Too many sessions for this user");
            }
            assertEquals(2, countInRedis(prefix, counter), "bob's two places are taken in Redis");

            closeDuringAPause(proxy, two, "bob's sessions ended during the pause", prefix, counter);
            try (RawClient next = RawClient.connectFrom("127.0.0.2", proxy.port("pop3"))) {
                login(next, "+OK Logged in.");
            }
        }
    }

    /**
     * Pauses redis-server, closes {@code sessions} while it is paused ({@code ended}: that
     * they ended), then waits for redis to answer again and for the counter {@code kind}
     * under {@code prefix} to be back to 0: the places were given back.
     */
    private static void closeDuringAPause(TestProxy proxy, List<RawClient> sessions, String ended, String prefix, String kind)
            throws Exception {
        pause(PAUSE);
        for (RawClient c : sessions) c.close();
        assertTrue(proxy.noSessionsWithin(Duration.ofSeconds(10)), ended);
        assertTrue(Await.until(PAUSE.plusSeconds(10), redis.server()::pings), "redis answers again");

        assertTrue(Await.until(Duration.ofSeconds(10), () -> countInRedis(prefix, kind) == 0),
                "the Redis counter is back to 0 within seconds: " + countInRedis(prefix, kind));
    }

    private static void login(RawClient c, String answer) throws IOException {
        c.transcript("""
                S: +OK ...
                C: USER bob
                S: +OK
                C: PASS secret
                S: %s
                """.formatted(answer));
    }

    /** CLIENT PAUSE: Redis holds every client's commands for this long, then answers them. */
    private static void pause(Duration d) {
        try (RedisClient raw = RedisClient.create("127.0.0.1", redis.port())) {
            raw.sendCommand(Protocol.Command.CLIENT, "PAUSE", Long.toString(d.toMillis()));
        }
    }

    /**
     * What Redis counts under {@code prefix + kind}: the sum over the keys, whatever their
     * shape (a number, or one share per proxy in a hash).
     */
    private static long countInRedis(String prefix, String kind) {
        try (RedisClient raw = RedisClient.create("127.0.0.1", redis.port())) {
            long sum = 0;
            for (String k : raw.keys(prefix + kind + "*")) {
                if (raw.type(k).equals("hash")) {
                    for (Map.Entry<String, String> share : raw.hgetAll(k).entrySet()) sum += Long.parseLong(share.getValue());
                } else {
                    String v = raw.get(k);
                    sum += v == null ? 0 : Long.parseLong(v);
                }
            }
            return sum;
        }
    }
}
