package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import mailproxy.config.ConfigLoader;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.testing.Await;
import mailproxy.testing.LogCapture;
import mailproxy.testing.ScriptedServer;
import org.junit.jupiter.api.Test;

/** Active checks against loopback fakes: greets → up, dead or mute → down, back after rise. */
class HealthCheckerTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    /** An IMAP server that greets and answers LOGOUT; with {@code healthy} false it hangs up at once. */
    private static ScriptedServer imap(AtomicBoolean healthy) throws IOException {
        return new ScriptedServer(peer -> {
            if (!healthy.get()) return;
            peer.line("* OK [CAPABILITY IMAP4rev1] ready");
            String l = peer.readLine();
            if ("a LOGOUT".equals(l)) {
                peer.line("* BYE logging out");
                peer.line("a OK LOGOUT completed");
            }
        });
    }

    /** Accepts and says nothing until the checker gives up and closes. */
    private static ScriptedServer mute() throws IOException {
        return new ScriptedServer(peer -> {
            peer.timeout(10_000);
            peer.closedByPeer();
        });
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static ProxyConfig config(String protocol, String checks, int... ports) {
        StringBuilder servers = new StringBuilder();
        for (int p : ports) {
            servers.append(servers.isEmpty() ? "" : ", ").append("{ host = \"127.0.0.1\", ").append(protocol).append("-port = ").append(p).append(" }");
        }
        return ConfigLoader.parse("mailproxy {\n limits { connect-timeout = 2s }\n backends { stores {\n servers = [ " + servers
                + " ]\n " + protocol + " { }\n health { " + checks + " }\n} }\n}", "health.conf");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Await.until(WAIT, what, condition);
    }

    private static long schedulerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(HealthChecker.THREAD_NAME) && t.isAlive()).count();
    }

    @Test
    void greetingServerStaysUpDeadPortAndMuteServerGoDown() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (LogCapture log = new LogCapture(); ScriptedServer good = imap(healthy); ScriptedServer silent = mute()) {
            ProxyConfig cfg = config("imap", "interval = 50ms, rise = 2, fall = 2, timeout = 300ms",
                    good.port(), closedPort(), silent.port());
            Pools pools = Pools.start(cfg, null);
            try {
                Pool pool = pools.get("stores");
                PoolServer up = pool.servers().get(0);
                PoolServer dead = pool.servers().get(1);
                PoolServer quiet = pool.servers().get(2);
                await("dead port down", () -> !dead.up(Protocol.IMAP));
                await("mute server down", () -> !quiet.up(Protocol.IMAP));
                // the line is written just after the state changed (outside the server's lock)
                log.awaitLine(Duration.ofSeconds(5), "pool stores server 127.0.0.1:" + dead.target(Protocol.IMAP).port()
                        + " imap down: connect refused (2 checks)");
                log.awaitLine(Duration.ofSeconds(5), "imap down: no greeting in 300ms (2 checks)");
                await("several checks of the good one", () -> good.accepted() >= 3);
                assertTrue(up.up(Protocol.IMAP));
                for (int i = 0; i < 50; i++) {
                    assertEquals(up, pool.candidates("user" + i, Protocol.IMAP).get(0), "the only live server");
                }
                assertTrue(schedulerThreads() <= 1, "one scheduler thread");
                assertTrue(pools.checker().peakRunning() <= 3, "at most one check per server and protocol at a time: "
                        + pools.checker().peakRunning());
            } finally {
                pools.close();
            }
            assertEquals(0, pools.checker().running());
            await("scheduler thread gone", () -> schedulerThreads() == 0);
            int done = pools.checker().completed();
            int accepted = good.accepted();
            Await.pause(Duration.ofMillis(200)); // a while in which a check would have run (interval 50 ms)
            assertEquals(done, pools.checker().completed(), "no checks after close");
            assertEquals(accepted, good.accepted());
        }
    }

    @Test
    void downAfterFallComesBackAfterRise() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(false);
        try (LogCapture log = new LogCapture(); ScriptedServer flaky = imap(healthy)) {
            Pools pools = Pools.start(config("imap", "interval = 30ms, rise = 3, fall = 2, timeout = 1s", flaky.port()), null);
            try {
                PoolServer s = pools.get("stores").servers().get(0);
                await("down", () -> !s.up(Protocol.IMAP));
                assertEquals(1, pools.get("stores").candidates("u", Protocol.IMAP).size(), "none up: tried anyway");
                int before = pools.checker().completed();
                healthy.set(true);
                await("up again", () -> s.up(Protocol.IMAP));
                assertTrue(pools.checker().completed() - before >= 3, "rise = 3 good checks");
                log.awaitLine(Duration.ofSeconds(5), "imap up: greeted (3 checks)");
            } finally {
                pools.close();
            }
        }
    }

    /** The answer to QUIT; a checker that has seen enough may close first (a broken pipe here is fine). */
    private static void goodbye(mailproxy.testing.RawClient peer, String line) throws java.io.IOException {
        try {
            peer.line(line);
        } catch (java.net.SocketException closedFirst) {
            // the probe does not wait for our goodbye
        }
    }

    @Test
    void smtpAndPop3GreetingsAndTheirGoodbye() throws Exception {
        AtomicBoolean quitSeen = new AtomicBoolean();
        try (ScriptedServer smtp = new ScriptedServer(peer -> {
                    peer.line("220-mx.example ESMTP");
                    peer.line("220 still greeting");
                    if ("QUIT".equals(peer.readLine())) {
                        quitSeen.set(true);
                        goodbye(peer, "221 2.0.0 Bye");
                    }
                });
             ScriptedServer refusing = new ScriptedServer(peer -> peer.line("554 no service"));
             ScriptedServer pop3 = new ScriptedServer(peer -> {
                 peer.line("+OK ready");
                 if ("QUIT".equals(peer.readLine())) goodbye(peer, "+OK bye");
             })) {
            Pools pools = Pools.start(config("smtp", "interval = 50ms, rise = 1, fall = 1, timeout = 1s", smtp.port(), refusing.port()), null);
            Pools pop = Pools.start(config("pop3", "interval = 50ms, rise = 1, fall = 1, timeout = 1s", pop3.port()), null);
            try {
                PoolServer bad = pools.get("stores").servers().get(1);
                await("554 greeting down", () -> !bad.up(Protocol.SMTP));
                await("QUIT sent after the whole greeting", quitSeen::get);
                assertTrue(pools.get("stores").servers().get(0).up(Protocol.SMTP));
                await("pop3 checked", () -> pop.checker().completed() >= 2);
                assertTrue(pop.get("stores").servers().get(0).up(Protocol.POP3));
            } finally {
                pools.close();
                pop.close();
            }
        }
    }

    @Test
    void proxyProtocolHeaderGoesFirst() throws Exception {
        AtomicBoolean sawLocal = new AtomicBoolean();
        try (ScriptedServer server = new ScriptedServer(peer -> {
            byte[] header = peer.readBytes(16);
            if (java.util.Arrays.equals(header, HealthProbe.PROXY_V2_LOCAL)) sawLocal.set(true);
            peer.line("+OK ready");
            peer.readLine();
        })) {
            ProxyConfig cfg = ConfigLoader.parse("mailproxy { backends { b { host = \"127.0.0.1\", pop3 { port = " + server.port()
                    + ", proxy-protocol = v2 }, health { interval = 50ms } } } }", "t.conf");
            Pools pools = Pools.start(cfg, null);
            try {
                await("checked", () -> pools.checker().completed() >= 1);
                assertTrue(sawLocal.get());
                assertTrue(pools.get("b").servers().get(0).up(Protocol.POP3));
            } finally {
                pools.close();
            }
        }
    }

    @Test
    void aOneHostBackendIsNotCheckedUnlessAsked() {
        Pools pools = Pools.start(ConfigLoader.parse("mailproxy { backends { b { host = \"127.0.0.1\", imap { port = 1 } } } }", "t"), null);
        try {
            assertEquals(0, pools.checker().checks(), "nothing to check");
        } finally {
            pools.close();
        }
        assertFalse(pools.get("b").backend().pooling().health().on());
    }

}
