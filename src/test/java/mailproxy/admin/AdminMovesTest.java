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
            // within the grace the session works, and a second session of alice still goes where
            // the first is (the move waits for the grace: alice is never on two servers)
            alice.exchange("n NOOP", "n OK");
            FakeBackend homeBackend = a.accepted() > 0 ? a : b;
            FakeBackend otherBackend = homeBackend == a ? b : a;
            RawClient second = RawClient.connect(proxy.port("imap"));
            second.expect("* OK");
            second.exchange("s LOGIN alice secret", "s OK");
            assertEquals(2, homeBackend.accepted(), "the second session joins the first");
            assertEquals(0, otherBackend.accepted());
            // then, on both: S: * BYE [UNAVAILABLE] ... and the close
            alice.timeout(10_000);
            alice.expect("* BYE [UNAVAILABLE]");
            assertTrue(alice.closedByPeer());
            second.timeout(10_000);
            second.expect("* BYE [UNAVAILABLE]");
            second.close();
            // and the next login is on the new server
            try (RawClient third = RawClient.connect(proxy.port("imap"))) {
                third.expect("* OK");
                third.exchange("t LOGIN alice secret", "t OK");
            }
            assertEquals(1, otherBackend.accepted(), "moved");
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

    /** README, "Moving users": "a reload ends a drain and its kicks too". */
    @Test
    void aReloadEndsADrainAndTheKickAfterItHadScheduled() throws Exception {
        try (FakeBackend a = FakeBackends.imap().password("secret").start();
             FakeBackend b = FakeBackends.imap().password("secret").start();
             TestProxy proxy = TestProxy.start(config(a.port(), b.port()));
             RawClient alice = RawClient.connect(proxy.port("imap"))) {
            alice.expect("* OK");
            alice.exchange("a LOGIN alice secret", "a OK");
            String home = a.accepted() > 0 ? "127.0.0.1:" + a.port() : "127.0.0.1:" + b.port();
            assertEquals(200, proxy.server().drain(home, java.time.Duration.ofMillis(700)).status());
            proxy.reload(config(a.port(), b.port()));
            assertFalse(proxy.server().describePools().contains("DRAINING"), proxy.server().describePools());
            // S: nothing past the grace (0.7 s): no BYE
            alice.timeout(1500);
            assertTrue(alice.silent(), "no BYE: the reload ended the drain and its kick");
            alice.timeout(10_000);
            alice.exchange("n NOOP", "n OK");
        }
    }
}
