package mailproxy.route;

import static mailproxy.route.PoolFixtures.stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import mailproxy.config.ConfigLoader;
import mailproxy.config.Protocol;
import mailproxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;

/** The registry: a reload keeps the state of unchanged servers and drains the ones that left. */
class PoolsTest {
    private static final String SECTIONS = "imap { }\npop3 { }\nhealth { interval = 0s }\n";
    private final PoolFixtures.Clock clock = new PoolFixtures.Clock();

    private static PoolServer server(Pools pools, String host) {
        return pools.get("stores").servers().stream().filter(s -> s.host().equals(host)).findFirst().orElseThrow();
    }

    @Test
    void reloadCarriesStateOverAndDrainsServersThatLeft() {
        Pools before = Pools.build(stores("servers = [ { host = a }, { host = b }, { host = c }, { host = d, imap-port = 1143 } ]\n"
                + SECTIONS), null, clock);
        server(before, "a").connected();
        server(before, "a").connected();
        server(before, "b").failed(Protocol.IMAP, "connect refused");
        // c leaves, d changes its IMAP port (another server now), e joins; a's weight changes
        Pools after = Pools.build(stores("servers = [ { host = a, weight = 3 }, { host = b }, { host = d, imap-port = 2143 }, "
                + "{ host = e } ]\n" + SECTIONS), before, clock);
        PoolServer a = server(after, "a");
        assertEquals(2, a.active(), "open sessions carried over");
        assertEquals(3, a.weight(), "the new config's weight");
        server(before, "a").released();
        assertEquals(1, a.active(), "a session that ends on the old instance counts on the new one");
        assertFalse(server(after, "b").up(Protocol.IMAP), "still down");
        assertTrue(server(after, "b").up(Protocol.POP3));
        assertTrue(server(before, "c").draining(), "left: no new sessions");
        assertTrue(server(before, "d").draining(), "port changed: another server");
        assertFalse(server(before, "a").draining());
        assertFalse(server(after, "d").draining());
        assertEquals(0, server(after, "e").active());
        assertTrue(server(after, "e").up(Protocol.IMAP));
        for (int i = 0; i < 100; i++) {
            assertFalse(after.get("stores").candidates("user" + i, Protocol.IMAP).contains(server(after, "b")));
        }
    }

    @Test
    void aBackendThatLeftDrainsAndANewOneIsThere() {
        Pools before = Pools.build(stores("host = x\nimap { }"), null);
        ProxyConfig other = ConfigLoader.parse("mailproxy { backends { other { host = y, imap { } } } }", "t.conf");
        Pools after = Pools.build(other, before);
        assertTrue(before.get("stores").servers().get(0).draining());
        assertNull(after.get("stores"));
        assertEquals(List.of("other"), after.all().stream().map(Pool::name).toList());
    }

    @Test
    void describeListsPoliciesAndServers() {
        Pools pools = Pools.build(stores("""
                servers = [ { host = "10.0.0.1", weight = 2 },
                            { host = "10.0.0.2", imap-port = 1143, pop3-port = 1110 } ]
                imap { port = 143, balance = user-hash }
                pop3 { port = 110, proxy-protocol = v2 }
                smtp { port = 25 }
                max-tries = 2
                health { interval = 10s, rise = 2, fall = 3, timeout = 3s }
                """), null, clock);
        server(pools, "10.0.0.2").failed(Protocol.SMTP, "test");
        server(pools, "10.0.0.1").connected();
        String d = pools.describe();
        assertEquals("""
                pool stores: imap user-hash, pop3 user-hash proxy-protocol v2, smtp least-connections; max-tries 2; \
                down for 10s after 1 failure in 10s; checks every 10s (rise 2, fall 3, timeout 3s)
                  server 10.0.0.1 weight 2 imap 143 pop3 110 smtp 25 sessions 1
                  server 10.0.0.2 weight 1 imap 1143 pop3 1110 smtp 25 DOWN smtp
                """, d);
    }

    @Test
    void staticRoutersRouteToPoolsAndMxModeHashesTheRecipient() throws Exception {
        ProxyConfig cfg = ConfigLoader.parse("""
                mailproxy {
                  backends { mx { servers = [ { host = a }, { host = b }, { host = c } ], smtp { balance = user-hash },
                                  health { interval = 0s } } }
                  routers { r { type = static, default = mx } }
                }""", "t.conf");
        Pools pools = Pools.build(cfg, null);
        Router r = Routers.build(cfg, pools).get("r");
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 5000);
        LoginRequest rcpt = new LoginRequest(Protocol.SMTP, "none", "", "", "", 1, client, client, "s",
                new LoginRequest.SmtpFacts("mx.example", "MAIL FROM:<x@y>", "RCPT TO:<Carol@Example.org> NOTIFY=NEVER"));
        assertEquals("carol@example.org", rcpt.routingKey());
        Route.Ok ok = assertInstanceOf(Route.Ok.class, r.route(rcpt));
        assertEquals(pools.get("mx"), ok.pool());
        assertEquals(pools.get("mx").candidates("carol@example.org", Protocol.SMTP),
                ok.pool().candidates(rcpt.routingKey(), Protocol.SMTP));
        LoginRequest login = new LoginRequest(Protocol.SMTP, "plain", "Bob@Example.org", "pw", "", 1, client, client, "s", null);
        assertEquals("bob@example.org", login.routingKey());
    }
}
