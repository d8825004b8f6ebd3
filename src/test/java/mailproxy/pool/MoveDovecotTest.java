package mailproxy.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mailproxy.config.ConfigLoader;
import mailproxy.server.ProxyServer;
import mailproxy.testing.Await;
import mailproxy.testing.DovecotPair;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Moving users on purpose (README, "Moving users") against two real Dovecots on one mail
 * store: a drain with kick-after, the admin's move, and a reload that adds a server. Every
 * user name logs in with one password (a static passdb beside the fixture users), and every
 * home is in one directory both Dovecots share.
 */
@Timeout(180)
class MoveDovecotTest {
    private static final String PASSWORD = "mv-Pass-7Qz";
    @RegisterExtension
    static final DovecotPair dovecots = DovecotPair.sharingAnyUser(PASSWORD);

    private static String servers(RealDovecot... ds) {
        List<String> s = new ArrayList<>();
        for (RealDovecot d : ds) s.add("{ host = \"127.0.0.1\", imap-port = %d, pop3-port = %d }".formatted(d.imapPort(), d.pop3Port()));
        return String.join(", ", s);
    }

    private static String config(int imapPort, int pop3Port, String servers) {
        return config(imapPort, pop3Port, servers, "");
    }

    private static String config(int imapPort, int pop3Port, String servers, String poolKeys) {
        return """
                mailproxy {
                  limits { greeting-timeout = 2s, connect-timeout = 2s }
                  backends { stores {
                    servers = [ %s ]
                    imap { port = 143 }
                    pop3 { port = 110 }
                    health { interval = 200ms, rise = 1, fall = 1, timeout = 1s }
                    %s
                  } }
                  routers { r { type = static, default = stores } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:%d" },
                                { name = pop3, protocol = pop3, listen = "127.0.0.1:%d" } ]
                }""".formatted(servers, poolKeys, imapPort, pop3Port);
    }

    private static TestProxy proxy(RealDovecot... ds) throws Exception {
        return TestProxy.start(config(0, 0, servers(ds)));
    }

    /** An IMAP session left open, and the Dovecot it went to. */
    private record Held(RawClient client, RealDovecot server) {}

    /** C: a LOGIN user; the session stays open. */
    private static Held imap(TestProxy p, LogCapture log, String user) throws Exception {
        int before = DovecotPair.logins(log).size();
        RawClient c = RawClient.connect(p.port("imap"));
        c.expect("* OK");
        c.exchange("a LOGIN " + user + " " + PASSWORD, "a OK");
        Await.until(Duration.ofSeconds(5), () -> DovecotPair.logins(log).size() > before);
        List<String> lines = DovecotPair.logins(log);
        return new Held(c, dovecots.serverOf(lines.get(lines.size() - 1)));
    }

    /** A whole IMAP session of {@code user}: LOGIN, LOGOUT; where it went. */
    private static RealDovecot imapOnce(TestProxy p, LogCapture log, String user) throws Exception {
        Held held = imap(p, log, user);
        try (RawClient c = held.client()) {
            c.exchange("z LOGOUT", "* BYE");
        }
        return held.server();
    }

    /** S: * BYE [UNAVAILABLE] ..., then the close (a kick, README "Moving users"). */
    private static void kicked(RawClient imap) throws IOException {
        imap.timeout(10_000);
        imap.expect("* BYE [UNAVAILABLE]");
        assertTrue(imap.closedByPeer());
    }

    @Test
    void drainWithKickAfterClosesTheSessionsLeftAfterTheGraceAndTheyReconnectToTheOtherServer() throws Exception {
        try (LogCapture log = new LogCapture(); TestProxy p = proxy(dovecots.one(), dovecots.two())) {
            Held held = imap(p, log, "mv-drain");
            RealDovecot home = held.server();
            try (RawClient imap = held.client(); RawClient pop3 = RawClient.connect(p.port("pop3"))) {
                pop3.expect("+OK");
                pop3.exchange("USER mv-drain", "+OK", "PASS " + PASSWORD, "+OK");
                ProxyServer.Action a = p.server().drain("127.0.0.1:" + home.imapPort(), Duration.ofSeconds(2));
                assertEquals(200, a.status(), a.text());
                // within the grace the sessions go on
                imap.exchange("n NOOP", "n OK");
                pop3.exchange("STAT", "+OK");
                // S: * BYE [UNAVAILABLE] ..., then the close; POP3 has no such line: just the close
                kicked(imap);
                pop3.timeout(10_000);
                assertTrue(pop3.closedByPeer());
            }
            log.awaitLine(Duration.ofSeconds(5), "imap", "user=mv-drain", "outcome=kicked");
            log.awaitLine(Duration.ofSeconds(5), "pop3", "user=mv-drain", "outcome=kicked");
            assertEquals(dovecots.other(home), imapOnce(p, log, "mv-drain"), "the reconnect goes to the server that is not draining");
            assertTrue(scrape(p).contains("mailproxy_pool_kicks_total{pool=\"stores\",reason=\"drain\"} 2.0"), scrape(p));
        }
    }

    @Test
    void undrainBeforeTheGraceCancelsTheKick() throws Exception {
        try (LogCapture log = new LogCapture(); TestProxy p = proxy(dovecots.one(), dovecots.two())) {
            Held login = imap(p, log, "mv-undrain");
            try (RawClient held = login.client()) {
                String server = "127.0.0.1:" + login.server().imapPort();
                assertEquals(200, p.server().drain(server, Duration.ofMillis(700)).status());
                assertEquals(1, p.server().undrain(server).size());
                log.awaitLine(Duration.ofSeconds(5), "kicks of stores " + server + " cancelled");
                // past the grace the session is still there
                assertSilent(held);
                held.exchange("n NOOP", "n OK");
            }
        }
    }

    /** Nothing from the proxy for a second and a half (the grace was 0.7 s). */
    private static void assertSilent(RawClient c) throws IOException {
        c.timeout(1500);
        assertTrue(c.silent(), "no BYE");
        c.timeout(10_000);
    }

    @Test
    void aMoveKicksTheHeldSessionAndTheNextLoginGoesToTheNewServerAsUsersShows() throws Exception {
        try (LogCapture log = new LogCapture(); TestProxy p = proxy(dovecots.one(), dovecots.two())) {
            Held held = imap(p, log, "mv-move");
            RealDovecot home = held.server();
            RealDovecot target = dovecots.other(home);
            try (RawClient c = held.client()) {
                String listed = p.server().users(null, null, 100).text();
                assertTrue(listed.contains("user=mv-move pool=stores server=127.0.0.1:" + home.imapPort() + " sessions=1"), listed);
                assertEquals("", p.server().users("127.0.0.1:" + target.imapPort(), null, 100).text());
                ProxyServer.Action a = p.server().move("MV-Move", "127.0.0.1:" + target.pop3Port(), null, Duration.ZERO);
                assertEquals(200, a.status(), a.text());
                kicked(c);
            }
            assertEquals(target, imapOnce(p, log, "mv-move"));
            // its session ended: idle there, within affinity-ttl
            String idle = "user=mv-move pool=stores server=127.0.0.1:" + target.imapPort() + " sessions=0";
            Await.until(Duration.ofSeconds(5), idle,
                    () -> p.server().users("127.0.0.1:" + target.imapPort(), null, 100).text().contains(idle));
            assertEquals(404, p.server().move("mv-move", "127.0.0.1:1", null, Duration.ZERO).status());
            assertEquals(404, p.server().move("mv-move", null, "nope", Duration.ZERO).status());
        }
    }

    /** Where the hash puts each of 20 users with both servers, as a proxy with no history sees it. */
    private static Map<String, RealDovecot> choices(String prefix) throws Exception {
        Map<String, RealDovecot> choice = new LinkedHashMap<>();
        try (LogCapture log = new LogCapture(); TestProxy ref = proxy(dovecots.one(), dovecots.two())) {
            for (int i = 0; i < 20; i++) choice.put(prefix + i, imapOnce(ref, log, prefix + i));
        }
        return choice;
    }

    @Test
    void withRebalanceKickAReloadThatAddsAServerKicksTheHeldSessionsOfTheUsersItTakes() throws Exception {
        Map<String, RealDovecot> choice = choices("mvk");
        String held = choice.keySet().stream().filter(u -> choice.get(u) == dovecots.two()).findFirst().orElseThrow();
        String stays = choice.keySet().stream().filter(u -> choice.get(u) == dovecots.one()).findFirst().orElseThrow();
        int[] ports = FreePorts.allocate(2);
        try (LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start(config(ports[0], ports[1], servers(dovecots.one()), "affinity-rebalance = kick"))) {
            Held login = imap(p, log, held);
            try (RawClient h = login.client(); RawClient s = imap(p, log, stays).client()) {
                assertEquals(dovecots.one(), login.server());
                p.server().reload(ConfigLoader.parse(config(ports[0], ports[1], servers(dovecots.one(), dovecots.two()), "affinity-rebalance = kick"),
                        "reloaded.conf"));
                // S: * BYE [UNAVAILABLE] ...: the client reconnects, and lands on the new server at once
                kicked(h);
                assertEquals(dovecots.two(), imapOnce(p, log, held));
                // a user the hash keeps where it is is left alone
                s.exchange("n NOOP", "n OK");
            }
            assertTrue(scrape(p).contains("mailproxy_pool_kicks_total{pool=\"stores\",reason=\"rebalance\"} 1.0"), scrape(p));
        }
    }

    @Test
    void aReloadThatAddsAServerMovesIdleUsersAtOnceAndHeldOnesOnceTheirSessionsEnd() throws Exception {
        Map<String, RealDovecot> choice = choices("mv");
        List<String> toTwo = choice.keySet().stream().filter(u -> choice.get(u) == dovecots.two()).toList();
        List<String> toOne = choice.keySet().stream().filter(u -> choice.get(u) == dovecots.one()).toList();
        assertTrue(toTwo.size() >= 3 && !toOne.isEmpty(), "20 users spread over two servers: " + choice);
        String held = toTwo.get(0);
        String idle = toTwo.get(1);
        String fresh = toTwo.get(2);
        String stays = toOne.get(0);
        int[] ports = FreePorts.allocate(2);
        try (LogCapture log = new LogCapture(); TestProxy p = TestProxy.start(config(ports[0], ports[1], servers(dovecots.one())))) {
            assertEquals(dovecots.one(), imapOnce(p, log, idle));
            assertEquals(dovecots.one(), imapOnce(p, log, stays));
            Held login = imap(p, log, held);
            try (RawClient h = login.client()) {
                assertEquals(dovecots.one(), login.server());
                p.server().reload(ConfigLoader.parse(config(ports[0], ports[1], servers(dovecots.one(), dovecots.two())), "reloaded.conf"));
                log.awaitLine(Duration.ofSeconds(5), "pool stores: new server");
                assertEquals(dovecots.two(), imapOnce(p, log, idle), "an idle user the hash sends to the new server moves at once");
                assertEquals(dovecots.one(), imapOnce(p, log, held), "a user with a session open stays with it");
                assertEquals(dovecots.two(), imapOnce(p, log, fresh), "a new user goes where the hash says");
                assertEquals(dovecots.one(), imapOnce(p, log, stays));
                h.exchange("b NOOP", "b OK");
                h.exchange("z LOGOUT", "* BYE");
            }
            // once the last session has ended the user is forgotten, and the next login takes the hash's choice
            Await.until(Duration.ofSeconds(10), "the held user is let go",
                    () -> !p.server().users(null, null, 100).text().contains("user=" + held + " "));
            assertEquals(dovecots.two(), imapOnce(p, log, held));
            String metrics = scrape(p);
            assertTrue(metrics.contains("mailproxy_pool_assignment_moves_total{pool=\"stores\",reason=\"rebalance\"} 2.0"), metrics);
        }
    }

    @Test
    void aReloadThatRemovesTheServerOfAHeldSessionKicksItAndTheUsersNextLoginLandsOnTheOtherWithoutASplit() throws Exception {
        int[] ports = FreePorts.allocate(2);
        try (LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start(config(ports[0], ports[1], servers(dovecots.one(), dovecots.two())))) {
            Held login = imap(p, log, "mv-removed");
            RealDovecot home = login.server();
            RealDovecot other = dovecots.other(home);
            try (RawClient h = login.client()) {
                // the operator takes the user's server out of the pool
                p.server().reload(ConfigLoader.parse(config(ports[0], ports[1], servers(other)), "reloaded.conf"));
                // S: * BYE [UNAVAILABLE] ...: the session left on the removed server is closed
                kicked(h);
            }
            log.awaitLine(Duration.ofSeconds(5), "pool stores: server 127.0.0.1:" + home.imapPort()
                    + " left the pool at a reload: 1 session on it kicked");
            log.awaitLine(Duration.ofSeconds(5), "imap", "user=mv-removed", "outcome=kicked");
            assertEquals(other, imapOnce(p, log, "mv-removed"), "the reconnect goes to the server that stays");
            String metrics = scrape(p);
            assertTrue(metrics.contains("mailproxy_pool_split_sessions_total{pool=\"stores\"} 0.0"), metrics);
            assertTrue(metrics.contains("mailproxy_pool_kicks_total{pool=\"stores\",reason=\"drain\"} 1.0"), metrics);
        }
    }

    private static String scrape(TestProxy p) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        p.server().metrics().write(b);
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void moveAndUsersNameWhatIsWrong() throws Exception {
        try (TestProxy p = proxy(dovecots.one(), dovecots.two())) {
            assertEquals(404, p.server().users("127.0.0.1:1", null, 10).status());
            assertEquals(404, p.server().users(null, "nope", 10).status());
            assertNotEquals(200, p.server().move("x", "127.0.0.1:1", null, Duration.ZERO).status());
        }
    }
}
