package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;
import mailproxy.testing.RedisPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two proxies open sessions of the same few users on three servers from many threads at
 * once (seeded, bounded): Redis settles every race, so no user ever holds sessions on two
 * servers, and when all have ended no count is left behind (README, "Several proxies").
 */
@Timeout(120)
class AffinityRaceTest {
    private static final long SEED = 20261207L;
    private static final int THREADS_PER_PROXY = 6;
    private static final int STEPS = 300;
    private static final String[] USERS = {"u0", "u1", "u2", "u3", "u4", "u5"};
    private static final String[] SERVERS = {"a", "b", "c"};
    @RegisterExtension
    static final RedisPerClass redis = new RedisPerClass();

    /** What the sessions hold, as the test saw it: per user, sessions per server; and what went wrong. */
    private static final class Checker {
        private final ReentrantLock lock = new ReentrantLock();
        private final Map<String, Map<String, Integer>> open = new HashMap<>();
        final List<String> splits = new ArrayList<>();

        /** Called after the store gave the hold: the hold began no later. */
        void opened(String user, String server) {
            lock.lock();
            try {
                Map<String, Integer> m = open.computeIfAbsent(user, u -> new HashMap<>());
                for (Map.Entry<String, Integer> e : m.entrySet()) {
                    if (!e.getKey().equals(server) && e.getValue() > 0) splits.add(user + " on " + e.getKey() + " and " + server);
                }
                m.merge(server, 1, Integer::sum);
            } finally {
                lock.unlock();
            }
        }

        /** Called before the hold is released: the hold ends no sooner. */
        void closing(String user, String server) {
            lock.lock();
            try {
                open.get(user).merge(server, -1, Integer::sum);
            } finally {
                lock.unlock();
            }
        }
    }

    private record Held(String user, String server, Assignments.Hold hold) {}

    @Test
    void twoProxiesRacingNeverHoldOneUserOnTwoServers() throws Exception {
        try (RedisFixture f = new RedisFixture(redis.server())) {
            RedisAssignments[] proxies = {RedisFixture.store(f.proxy(Duration.ofSeconds(5)), Duration.ofMinutes(1)),
                    RedisFixture.store(f.proxy(Duration.ofSeconds(5)), Duration.ofMinutes(1))};
            Checker checker = new Checker();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int t = 0; t < 2 * THREADS_PER_PROXY; t++) {
                RedisAssignments store = proxies[t % 2];
                Random random = new Random(SEED + t);
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        run(store, random, checker);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) assertTrue(t.join(Duration.ofSeconds(90)), "a thread did not finish");
            assertEquals(List.of(), failures);
            assertEquals(List.of(), checker.splits, "users held on two servers at once");
            for (String u : USERS) {
                for (String field : f.look().hkeys(f.key(u))) {
                    assertTrue(!field.startsWith("c:"), u + " still counts sessions after all ended: " + f.look().hgetAll(f.key(u)));
                }
            }
        }
    }

    /** One "proxy thread": opens (going where the store says the user is, as Pool.connected does), accepts, releases. */
    private static void run(RedisAssignments store, Random random, Checker checker) {
        List<Held> held = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            if (held.isEmpty() || random.nextInt(10) < 6) {
                String user = USERS[random.nextInt(USERS.length)];
                String server = SERVERS[random.nextInt(SERVERS.length)];
                Assignments.Hold h = store.open(user, server);
                if (h.elsewhere() != null) {
                    server = h.elsewhere();
                    h = store.open(user, server);
                    if (h.elsewhere() != null) continue; // it moved on again: this login would fail over
                }
                checker.opened(user, server);
                if (random.nextBoolean()) h.accepted();
                held.add(new Held(user, server, h));
            } else {
                Held h = held.remove(random.nextInt(held.size()));
                checker.closing(h.user(), h.server());
                h.hold().released();
            }
        }
        for (Held h : held) {
            checker.closing(h.user(), h.server());
            h.hold().released();
        }
    }
}
