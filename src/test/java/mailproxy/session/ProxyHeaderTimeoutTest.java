package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import mailproxy.config.ConfigLoader;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import mailproxy.wire.ProxyHeaderWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * limits.proxy-header-timeout: a client that reached a proxy-protocol listener past the
 * balancer sends no header and waits for a greeting; it is cut after this short bound, not
 * after limits.timeout (README "Limits and throttles").
 */
@Timeout(60)
class ProxyHeaderTimeoutTest {
    private static final String CONFIG = """
            mailproxy {
              limits { timeout = 60s, proxy-header-timeout = 300ms }
              backends { b { host = "127.0.0.1", imap { port = %d } } }
              routers { r { type = static, default = b } }
              listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0",
                              proxy-protocol = true, trusted-proxies = ["127.0.0.0/8"] } ]
            }""";

    @Test
    void aClientWithoutAHeaderIsCutAfterTheHeadersOwnDeadlineNotLimitsTimeout() throws Exception {
        try (LogCapture log = new LogCapture();
             TestProxy p = TestProxy.start(CONFIG.formatted(FreePorts.closedPort()));
             RawClient c = RawClient.connect(p.port("imap")).timeout(10_000)) {
            // C: (connects, waits for "* OK" as an IMAP client does)
            // S: (closes, without a word, long before limits.timeout = 60s)
            assertTrue(c.closedByPeer(), "closed within the 10 s read timeout, not after limits.timeout = 60 s");
            log.awaitLine(Duration.ofSeconds(5), "outcome=bad-proxy-header");
        }
    }

    @Test
    void aBalancersHeaderStillGetsTheGreeting() throws Exception {
        try (TestProxy p = TestProxy.start(CONFIG.formatted(FreePorts.closedPort()));
             RawClient c = RawClient.connect(p.port("imap"))) {
            c.send(ProxyHeaderWriter.v2(new InetSocketAddress("198.51.100.7", 50122), new InetSocketAddress("203.0.113.1", 143)));
            c.expect("* OK");
        }
    }

    @Test
    void theDefaultIsFiveSeconds() {
        assertEquals(Duration.ofSeconds(5), ConfigLoader.parse("", "empty.conf").limits().proxyHeaderTimeout());
    }
}
