package mailproxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mailproxy.config.ConfigLoader;
import mailproxy.server.ProxyServer;
import mailproxy.testing.Await;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard's defaults never refuse an office behind one NAT address (many people, each
 * client with several connections), and still bound one user on one address as Dovecot's
 * mail_max_userip_connections = 10 does (README "The guard"). The attack the per-user-and-
 * address limit stops: one client, or one leaked password used from one host, opening
 * session after session of one account; the per-address limit only bounds a flood.
 */
@Timeout(120)
class NatDefaultsTest {
    /**
     * A proxy with the guard as reference.conf has it: not a testing.TestProxy, whose defaults
     * turn the guard's limits off.
     */
    private static ProxyServer proxy(int imapPort, String more) throws Exception {
        return ProxyServer.start(ConfigLoader.parse("""
                mailproxy {
                  drain-timeout = 1s
                  backends { b { host = "127.0.0.1", imap { port = %d } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", router = r } ]
                  %s
                }""".formatted(imapPort, more), "nat.conf"));
    }

    @Test
    void sixtyConnectionsFromOneAddressAreAllGreetedByDefault() throws Exception {
        List<RawClient> office = new ArrayList<>();
        try (FakeBackend imap = FakeBackends.imap().start(); ProxyServer p = proxy(imap.port(), "")) {
            for (int i = 0; i < 60; i++) {
                RawClient c = RawClient.connectFrom("127.0.0.2", p.address("imap").getPort());
                office.add(c);
                // S: * OK ... (not * BYE [UNAVAILABLE] Too many connections from your address)
                c.expect("* OK");
            }
        } finally {
            for (RawClient c : office) c.close();
        }
    }

    @Test
    void theEleventhSessionOfOneUserFromOneAddressIsRefused() throws Exception {
        try (FakeBackend imap = FakeBackends.imap().start(); ProxyServer p = proxy(imap.port(), "")) {
            eleventhRefused(p, p);
        }
    }

    @Test
    void theSameOverTwoProxiesSharingRedis(@TempDir Path dir) throws Exception {
        String state = "state { redis = \"%s\", key-prefix = \"nat:\" }";
        try (RealRedis redis = RealRedis.start(dir);
             FakeBackend imap = FakeBackends.imap().start();
             ProxyServer a = proxy(imap.port(), state.formatted(redis.url()));
             ProxyServer b = proxy(imap.port(), state.formatted(redis.url()))) {
            eleventhRefused(a, b);
        }
    }

    /** Ten sessions of bob from 127.0.0.2, alternately on {@code a} and {@code b}; the eleventh is refused on both. */
    private static void eleventhRefused(ProxyServer a, ProxyServer b) throws Exception {
        List<RawClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) held.add(login(i % 2 == 0 ? a : b, "127.0.0.2", "a OK"));
            for (ProxyServer p : new ProxyServer[] {a, b}) {
                // C: a LOGIN bob pw     S: * BYE [LIMIT] Too many sessions for this user
                try (RawClient eleventh = login(p, "127.0.0.2", "* BYE [LIMIT]")) {
                    assertEquals(true, eleventh.closedByPeer());
                }
            }
            held.add(login(b, "127.0.0.3", "a OK")); // the same user from another address
            held.remove(0).close();
            Await.until(Duration.ofSeconds(10), "the closed session ended at the proxy",
                    () -> a.activeSessions() + (a == b ? 0 : b.activeSessions()) == 10);
            held.add(login(a, "127.0.0.2", "a OK")); // a place given back is free again
        } finally {
            for (RawClient c : held) c.close();
        }
    }

    private static RawClient login(ProxyServer p, String from, String reply) throws Exception {
        RawClient c = RawClient.connectFrom(from, p.address("imap").getPort());
        c.expect("* OK");
        c.exchange("a LOGIN bob pw", reply);
        return c;
    }
}
