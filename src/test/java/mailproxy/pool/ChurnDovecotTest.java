package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mailproxy.testing.Await;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealHaproxy;
import mailproxy.testing.RealRedis;
import mailproxy.testing.SharedMailStore;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21's "Done when" (README.md, "Why a user stays on one server"): two proxies that
 * share one redis-server, behind a real HAProxy (round robin, PROXY protocol v2), three
 * real Dovecots on one mail store in a user-hash pool with health checks every second,
 * and a minute of seeded churn: mail clients log in (IMAP, some POP3), hold their session
 * a while and log out, while a server goes down and comes back, Redis is killed and
 * restarted, a server is removed and one added by reloading both proxies. The
 * {@link SplitChecker} then finds no user that had sessions open on two servers at once.
 */
@Timeout(150)
class ChurnDovecotTest {
    private static final long SEED = 21;
    private static final int USERS = 20;
    private static final int LATE_USERS = 4;
    private static final int CLIENTS = 16;
    private static final int SERVER_ADDED_AT = 40;
    private static final Duration CHURN = Duration.ofSeconds(55);
    /** Far more than a client can do in CHURN: the time ends the run, this bounds it. */
    private static final int MAX_SESSIONS_PER_CLIENT = 400;
    private static final List<String> LABELS = List.of("A", "B", "C");
    private static final String POOL = "pool=\"stores\"";
    private static final String FALLBACKS = "mailproxy_pool_assignment_store_fallbacks_total{";
    private static final String SPLITS = "mailproxy_pool_split_sessions_total{";
    private static final String LOGINS = "mailproxy_logins_total{";
    private static final String SUCCESS = "result=\"success\"";
    private static final String MOVES = "mailproxy_pool_assignment_moves_total{";
    private static final String DOWN = "reason=\"down\"";
    private static final String LOCAL = "user assignments are local to this proxy";
    private static final String SHARED = "user assignments are shared again";

    @TempDir
    Path tmp;

    @Test
    void noUserIsEverOnTwoServersAtOnceThroughDownUpRedisRestartRemoveAndAdd() throws Exception {
        List<ChurnClient.User> users = new ArrayList<>();
        for (int i = 1; i <= USERS; i++) users.add(new ChurnClient.User("churn%02d".formatted(i), "pw-churn-%02d".formatted(i)));
        // the last few log in only once server C is back in the pool: new users, spread by the hash
        List<ChurnClient.User> early = users.subList(0, USERS - LATE_USERS);
        List<ChurnClient.User> late = users.subList(USERS - LATE_USERS, USERS);
        Map<String, RealDovecot> servers = new LinkedHashMap<>();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            SharedMailStore store = SharedMailStore.create();
            open.add(store);
            LogCapture log = new LogCapture();
            open.add(log);
            for (ChurnClient.User u : users) store.addUser(u.name(), u.password());
            for (String label : LABELS) {
                RealDovecot d = RealDovecot.startExtra(store.dovecotConfig() + identity(label));
                open.add(d::close);
                servers.put(label, d);
            }
            RealRedis redis = RealRedis.start(tmp);
            open.add(redis);
            int[] ports = FreePorts.allocate(4);
            Proxies proxies = new Proxies(redis.url(), ports);
            TestProxy a = proxies.start(0, servers.values());
            open.add(a);
            TestProxy b = proxies.start(1, servers.values());
            open.add(b);
            RealHaproxy imap = RealHaproxy.start(ports[0], ports[2]);
            open.add(imap);
            RealHaproxy pop3 = RealHaproxy.start(ports[1], ports[3]);
            open.add(pop3);

            long start = System.nanoTime();
            SplitChecker checker = new SplitChecker(start);
            ChurnClient.Counts counts = new ChurnClient.Counts();
            long deadline = start + CHURN.toNanos();
            long added = start + Duration.ofSeconds(SERVER_ADDED_AT + 1).toNanos();
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(Thread.ofVirtual().name("churn-client-" + i).start(new ChurnClient(imap.port(), pop3.port(),
                        early, late, added, SEED * 1000 + i, deadline, MAX_SESSIONS_PER_CLIENT, checker, counts)));
            }

            RealDovecot serverB = servers.get("B");
            RealDovecot serverC = servers.get("C");
            at(start, 8, () -> {
                checker.killed("B", System.nanoTime());
                serverB.kill();
            });
            at(start, 16, serverB::restart);
            at(start, 24, () -> {
                // down long enough for both proxies to find out (a restart faster than that is
                // hidden by a retry on a fresh connection), then back, empty
                redis.kill();
                Await.until(Duration.ofSeconds(10), "both proxies found Redis down", () -> lines(log, LOCAL) >= 2);
                redis.restart();
            });
            long redisBack = System.nanoTime();
            at(start, 30, () -> {
                checker.killed("C", System.nanoTime());
                serverC.kill();
                // the operator takes the dead server out of both proxies' pools
                List<RealDovecot> without = List.of(servers.get("A"), serverB);
                a.reload(proxies.config(0, without));
                b.reload(proxies.config(1, without));
            });
            at(start, SERVER_ADDED_AT, () -> {
                serverC.restart();
                // and puts it back: the hash sends some users there, once they are idle
                a.reload(proxies.config(0, servers.values()));
                b.reload(proxies.config(1, servers.values()));
            });
            for (Thread t : clients) assertTrue(t.join(Duration.ofSeconds(30)), t.getName() + " ended");

            List<SplitChecker.Split> splits = checker.splits();
            System.out.printf("churn: %d sessions (%d broken), %d logins refused, per server %s, %d splits;"
                            + " proxies: logins %d/%d, down moves %d/%d, store fallbacks %d/%d, splits counted %d/%d%n",
                    counts.sessions().get() + counts.broken().get(), counts.broken().get(), counts.refused().get(),
                    checker.perServer(), splits.size(), metric(a, LOGINS, SUCCESS), metric(b, LOGINS, SUCCESS),
                    metric(a, MOVES, DOWN), metric(b, MOVES, DOWN), metric(a, FALLBACKS, POOL), metric(b, FALLBACKS, POOL),
                    metric(a, SPLITS, POOL), metric(b, SPLITS, POOL));
            assertTrue(splits.isEmpty(), checker.report(splits));
            // and what the proxies themselves count: a session accepted on a second server
            assertEquals(0, metric(a, SPLITS, POOL) + metric(b, SPLITS, POOL), "splits counted by the proxies");
            // the run did real work: both proxies logged users in, every server had sessions
            // (also after the restart and the re-add), users moved off a dead server
            Map<String, Integer> perServer = checker.perServer();
            assertEquals(Set.copyOf(LABELS), perServer.keySet(), "sessions per server: " + perServer);
            for (TestProxy p : List.of(a, b)) {
                assertTrue(metric(p, LOGINS, SUCCESS) >= 50, "logins through each proxy: " + metric(p, LOGINS, SUCCESS));
            }
            assertTrue(metric(a, MOVES, DOWN) + metric(b, MOVES, DOWN) > 0, "users moved off a dead server");
            assertTrue(checker.sessions().stream().anyMatch(s -> s.opened() > redisBack), "sessions after Redis came back");
            assertTrue(checker.sessions().stream().anyMatch(s -> s.server().equals("C") && s.opened() > added),
                    "sessions on the server added back");
            // Redis killed once mid-run: each proxy said so once, counted it, and said when it was back
            assertEquals(2, lines(log, LOCAL), "Redis down logged once per proxy");
            assertEquals(2, lines(log, SHARED), "Redis back logged once per proxy");
            assertEquals(1, metric(a, FALLBACKS, POOL), "Redis down counted");
            assertEquals(1, metric(b, FALLBACKS, POOL), "Redis down counted");
            assertEquals(0, counts.unidentified().get(), "every session learned its server");
        } finally {
            // last opened, first closed: the balancers, the proxies, Redis, the Dovecots, the log, the store
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    // the rest still stop
                }
            }
        }
    }

    /**
     * Dovecot lines that make each instance tell the client who it is (see ChurnClient).
     * Dovecot's config reader takes a value's outer quotes off: imap_id_send is unquoted.
     */
    private static String identity(String label) {
        return """
                imap_id_send = name * x-churn %1$s
                pop3_uidl_format = %1$s.%%08Xu%%08Xv
                """.formatted(label);
    }

    private interface Step {
        void run() throws Exception;
    }

    /** The schedule: {@code step} at {@code seconds} into the churn (the timing is the scenario). */
    private static void at(long start, int seconds, Step step) throws Exception {
        long due = start + Duration.ofSeconds(seconds).toNanos();
        long wait = due - System.nanoTime();
        if (wait > 0) Await.pause(Duration.ofNanos(wait));
        step.run();
    }

    private static long lines(LogCapture log, String needle) {
        return log.text().lines().filter(l -> l.contains(needle)).count();
    }

    /** The sum of a proxy's metric lines starting with {@code prefix} that contain {@code label}. */
    private static long metric(TestProxy p, String prefix, String label) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.server().metrics().write(out);
        long sum = 0;
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith(prefix) && line.contains(label)) {
                sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /**
     * The two proxies' configs: the same pool, each its own listener ports and names (imap-p0:
     * the audit line says which proxy). A killed server refuses connections, so the proxies
     * see it at once; the timeouts for a slow greeting stay the defaults, as in production
     * (on a busy test machine a 1 s greeting timeout fails a live server over).
     */
    private record Proxies(String redis, int[] ports) {
        TestProxy start(int n, java.util.Collection<RealDovecot> servers) throws Exception {
            return TestProxy.start(config(n, servers));
        }

        String config(int n, java.util.Collection<RealDovecot> servers) {
            StringBuilder list = new StringBuilder();
            for (RealDovecot d : servers) {
                if (!list.isEmpty()) list.append(",\n");
                list.append("{ host = \"127.0.0.1\", imap-port = %d, pop3-port = %d }".formatted(d.imapPort(), d.pop3Port()));
            }
            return """
                    mailproxy {
                      limits { connect-timeout = 1s }
                      state { redis = "%1$s" }
                      backends { stores {
                        servers = [ %2$s ]
                        imap { port = 143 }
                        pop3 { port = 110 }
                        health { interval = 1s, rise = 1, fall = 2, timeout = 2s }
                        max-fails = 1, fail-timeout = 2s
                      } }
                      routers { r { type = static, default = stores } }
                      listener-defaults { proxy-protocol = true, trusted-proxies = ["127.0.0.1"] }
                      listeners = [ { name = imap-p%3$d, protocol = imap, listen = "127.0.0.1:%4$d" },
                                    { name = pop3-p%3$d, protocol = pop3, listen = "127.0.0.1:%5$d" } ]
                    }""".formatted(redis, list, n, ports[2 * n], ports[2 * n + 1]);
        }
    }
}
