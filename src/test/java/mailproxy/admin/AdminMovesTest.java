package mailproxy.admin;

import static mailproxy.admin.AdminCurl.ADMIN_HEADER;
import static mailproxy.admin.AdminCurl.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mailproxy.admin.AdminCurl.Answer;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * POST /move and /drain with kick-after over HTTP (README, "Moving users"): the grace, the
 * bound on kicks waiting, and what each answer says.
 */
@Timeout(60)
class AdminMovesTest {
    private static String config(int a, int b) {
        return """
                mailproxy {
                  admin { listen = "127.0.0.1:0", max-scheduled-kicks = 1 }
                  backends { store {
                    servers = [ { host = "127.0.0.1", imap-port = %d }, { host = "127.0.0.1", imap-port = %d } ]
                    imap { }
                    health { interval = 0s }
                  } }
                  routers { r { type = static, default = store } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0" } ]
                }
                """.formatted(a, b);
    }

    @Test
    void aMoveWithKickAfterLetsTheSessionFinishItsWorkThenSaysByeAndTheKicksWaitingAreBounded() throws Exception {
        try (FakeBackend a = FakeBackends.imap().password("secret").start();
             FakeBackend b = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(a.port(), b.port()));
             AdminServer admin = AdminServer.start(proxy.config().admin(), proxy::server, () -> true);
             RawClient alice = RawClient.connect(proxy.port("imap"))) {
            alice.expect("* OK");
            alice.exchange("a LOGIN alice secret", "a OK");
            String home = a.accepted() > 0 ? "127.0.0.1:" + a.port() : "127.0.0.1:" + b.port();
            String other = a.accepted() > 0 ? "127.0.0.1:" + b.port() : "127.0.0.1:" + a.port();
            Answer users = call(admin, "GET", "/users");
            assertEquals("user=alice pool=store server=" + home + " sessions=1\n", users.body());
            Answer moved = call(admin, "POST", "/move?user=Alice&server=" + other + "&kick-after=1500ms", "-H", ADMIN_HEADER);
            assertEquals(200, moved.status(), moved.toString());
            assertEquals("user alice of pool store: from " + home + " to " + other + "; its sessions on " + home
                    + " are kicked after 1500ms\n", moved.body());
            // the one kick that may wait is taken: a drain with kick-after is refused and changes nothing
            Answer full = call(admin, "POST", "/drain?server=" + other + "&kick-after=1h", "-H", ADMIN_HEADER);
            assertEquals(503, full.status(), full.toString());
            assertFalse(proxy.server().describePools().contains("DRAINING"), proxy.server().describePools());
            // within the grace the session works; then S: * BYE [UNAVAILABLE] ... and the close
            alice.exchange("n NOOP", "n OK");
            alice.timeout(10_000);
            alice.expect("* BYE [UNAVAILABLE]");
            assertTrue(alice.closedByPeer());
            // its kick done, there is room again
            Answer drain = call(admin, "POST", "/drain?server=" + other + "&kick-after=1h", "-H", ADMIN_HEADER);
            assertEquals(200, drain.status(), drain.toString());
            assertTrue(drain.body().endsWith("sessions still open are kicked after 3600000ms\n"), drain.body());
            assertEquals(404, call(admin, "POST", "/move?user=alice&server=192.0.2.1:143", "-H", ADMIN_HEADER).status());
            assertEquals(404, call(admin, "POST", "/move?user=alice&pool=nope", "-H", ADMIN_HEADER).status());
            assertEquals(409, call(admin, "POST", "/move?user=alice&server=" + other, "-H", ADMIN_HEADER).status());
            assertEquals(400, call(admin, "POST", "/move?user=alice&kick-after=2d", "-H", ADMIN_HEADER).status());
            assertEquals(400, call(admin, "GET", "/users?limit=0").status());
        }
    }
}
