package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.net.InetSocketAddress;
import mailproxy.config.ConfigLoader;
import mailproxy.config.ProxyConfig;
import mailproxy.config.Protocol;
import org.junit.jupiter.api.Test;

/** The embedded map: user as written, else domain, else default. */
class StaticRouterTest {
    private final ProxyConfig config = ConfigLoader.parse("""
            mailproxy {
              backends {
                a { host = "10.0.0.1", pop3 { port = 1110 }, imap { port = 1143 } }
                b { host = "10.0.0.2", pop3 { }, imap { } }
                c { host = "10.0.0.3", imap { } }
              }
              routers {
                withDefault { type = static, default = a, domains { "Example.ORG" = b }, users { "vip@example.org" = c } }
                noDefault { type = static, domains { "example.org" = b } }
              }
            }""", "t.conf");

    private Route route(String router, Protocol p, String user) throws InterruptedException {
        Router r = Routers.build(config, Pools.build(config, null)).get(router);
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 5000);
        return r.route(new LoginRequest(p, "plain", user, "pw", "", 1, client, client, "s1", null));
    }

    /** The first server to try (each backend here is one host). */
    private static String target(Route r) {
        return target(r, Protocol.IMAP);
    }

    private static String target(Route r, Protocol p) {
        Route.Ok ok = (Route.Ok) r;
        return ok.pool().candidates("x", p).get(0).target(p).toString();
    }

    @Test
    void userBeatsDomainBeatsDefaultCaseInsensitively() throws Exception {
        assertEquals("10.0.0.3:143", target(route("withDefault", Protocol.IMAP, "VIP@example.org")));
        assertEquals("10.0.0.2:143", target(route("withDefault", Protocol.IMAP, "alice@EXAMPLE.org")));
        assertEquals("10.0.0.1:1143", target(route("withDefault", Protocol.IMAP, "carol@elsewhere.net")));
        assertEquals("10.0.0.1:1110", target(route("withDefault", Protocol.POP3, "dave"), Protocol.POP3));
    }

    @Test
    void loginIsForwardedAsTheClientGaveIt() throws Exception {
        Route.Ok ok = (Route.Ok) route("withDefault", Protocol.POP3, "Alice@Example.org");
        assertEquals("Alice@Example.org", ok.user());
        assertEquals("pw", ok.password());
    }

    @Test
    void noMatchWithoutDefaultIsAFailedLoginTheClientMayRetry() throws Exception {
        Route.Reject r = assertInstanceOf(Route.Reject.class, route("noDefault", Protocol.POP3, "x@other.net"));
        assertEquals(java.time.Duration.ZERO, r.retryAfter());
    }

    @Test
    void backendWithoutTheProtocolIsUnavailable() throws Exception {
        assertInstanceOf(Route.Unavailable.class, route("withDefault", Protocol.POP3, "vip@example.org"));
    }
}
