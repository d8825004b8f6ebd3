package mailproxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import mailproxy.route.AuthServer;
import mailproxy.testing.FreePorts;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import mailproxy.wire.ProxyHeaderWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** nginx's per-server settings on listeners, and what a PROXY header tells auth_http. */
@Timeout(30)
class ListenerEdgeTest {

    @Test
    void aListenersOwnTimeoutAndMaxErrorsOverrideTheGlobalOnes() throws Exception {
        try (TestProxy p = TestProxy.start("""
                mailproxy {
                  limits { timeout = 60s, max-errors = 5 }
                  backends { b { host = "127.0.0.1", pop3 { port = %d } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = strict, protocol = pop3, listen = "127.0.0.1:0", timeout = 1s, max-errors = 2 },
                                { name = lax, protocol = pop3, listen = "127.0.0.1:0" } ]
                }""".formatted(FreePorts.closedPort()))) {
            try (RawClient strict = RawClient.connect(p.port("strict"))) {
                strict.expect("+OK");
                assertEquals("-ERR Disconnected for inactivity.", strict.readLine(), "timeout = 1s on this listener");
            }
            try (RawClient strict = RawClient.connect(p.port("strict"))) {
                strict.expect("+OK");
                strict.exchange("FOO", "-ERR", "BAR", "-ERR");
                assertTrue(strict.closedByPeer(), "max-errors = 2 on this listener");
            }
            try (RawClient lax = RawClient.connect(p.port("lax")).timeout(2500)) {
                lax.expect("+OK");
                for (String cmd : new String[] {"FOO", "BAR", "BAZ"}) {
                    lax.line(cmd);
                    lax.expect("-ERR");
                }
                lax.line("NOOP");
                lax.expect("+OK"); // the global max-errors and timeout hold here
            }
        }
    }

    @Test
    void authHttpGetsTheHeadersAddressesAsNginxSendsThem() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no"));
             TestProxy p = TestProxy.start("""
                     mailproxy {
                       routers { a { type = auth-http, url = "%s" } }
                       listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0",
                                       proxy-protocol = true, trusted-proxies = ["127.0.0.0/8"] } ]
                     }""".formatted(auth.url()));
             RawClient c = RawClient.connect(p.port("pop3"))) {
            c.send(ProxyHeaderWriter.v2(new InetSocketAddress("198.51.100.7", 50122), new InetSocketAddress("203.0.113.1", 110)));
            c.expect("+OK");
            c.exchange("USER bob", "+OK", "PASS pw", "-ERR");
            AuthServer.Request r = auth.last();
            r.assertHeaders("""
                    Client-IP: 198.51.100.7
                    Client-Port: 50122
                    Proxy-Protocol-Addr: 198.51.100.7
                    Proxy-Protocol-Port: 50122
                    Proxy-Protocol-Server-Addr: 203.0.113.1
                    Proxy-Protocol-Server-Port: 110
                    """);
        }
    }
}
