package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mailproxy.config.ConfigLoader;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import mailproxy.imap.ImapSession;
import mailproxy.route.Pool;
import mailproxy.route.PoolServer;
import mailproxy.route.Pools;
import mailproxy.route.Route;
import mailproxy.route.Router;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A login routed by the pool in force just before a reload that removed its server, and
 * placed on that server only after the reload's kick pass (server.Kicks) had looked: its
 * session there would never be kicked, and its user would stay on a server the operator
 * took out (README, "Why a user stays on one server"). The router here answers with the
 * retired pool, as a login under way across the reload holds it; the login is refused for
 * now, and the removed server never sees it.
 */
@Timeout(60)
class RoutedBeforeAReloadTest {
    private static final String PASSWORD = "reload-pw";

    private static ProxyConfig config(String servers) {
        return ConfigLoader.parse("""
                mailproxy {
                  server-name = mx.test
                  guard { auth-delay = 0s }
                  backends { stores { servers = [ %s ], imap { port = 143 }, health { interval = 0s } } }
                  routers { r { type = static, default = stores } }
                  listeners = [ { name = l, protocol = imap, listen = "127.0.0.1:0" } ]
                }
                """.formatted(servers), "test.conf");
    }

    private static String server(FakeBackend b) {
        return "{ host = \"127.0.0.1\", imap-port = " + b.port() + " }";
    }

    @Test
    void aLoginRoutedBeforeTheReloadIsNotPlacedOnTheServerItRemoved() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend one = FakeBackends.imap().accept("bob", PASSWORD).start();
             FakeBackend two = FakeBackends.imap().accept("bob", PASSWORD).start()) {
            ProxyConfig before = config(server(one) + ", " + server(two));
            Pool old = Pools.build(before, null).get("stores");
            PoolServer home = old.candidates("bob", Protocol.IMAP).getFirst();
            FakeBackend removed = home.id().endsWith(":" + one.port()) ? one : two;
            FakeBackend stays = removed == one ? two : one;
            // the reload: the pool in force now has only the other server; the old one is retired
            Pool now = Pools.build(config(server(stays)), null).get("stores");
            old.retire(now);
            Router stale = request -> new Route.Ok(old, "bob", PASSWORD);

            String line = OneSession.run(before, stale, ImapSession::new, c -> c.transcript("""
                    S: * OK [CAPABILITY ...
                    C: a LOGIN bob %s
                    S: a NO [UNAVAILABLE] ...
                    S: * BYE ...
                    S closes
                    """.formatted(PASSWORD)));
            assertNull(removed.logins().poll(), "the removed server saw no login");
            assertTrue(line.contains("outcome=backend-unreachable"), line);
            log.awaitLine(java.time.Duration.ofSeconds(5), "before a reload removed it from pool stores: refused for now");
            assertEquals(0, stays.logins().size());
        }
    }
}
