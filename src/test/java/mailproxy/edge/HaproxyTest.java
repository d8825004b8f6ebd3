package mailproxy.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import mailproxy.testing.FreePorts;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.RealDovecot;
import mailproxy.testing.RealHaproxy;
import mailproxy.testing.RealPostfix;
import mailproxy.testing.RealServers;
import mailproxy.testing.TestProxy;
import mailproxy.wire.ProxyHeaderWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several proxies behind a real HAProxy (send-proxy-v2), as README.md, "Running
 * more than one" describes: the client's own address survives the balancer and the proxy
 * and reaches Dovecot (PROXY protocol out, logged as rip=) and Postfix (XCLIENT).
 */
@Timeout(120)
class HaproxyTest {
    /** The mail client's own address: distinct from the balancer's 127.0.0.1. */
    private static final String CLIENT = "127.0.0.9";
    private static RealDovecot dovecot;
    private static RealPostfix postfix;
    private static TestProxy a;
    private static TestProxy b;
    private static RealHaproxy imapBalancer;
    private static RealHaproxy smtpBalancer;

    @BeforeAll
    static void start() throws Exception {
        int haproxyPort = FreePorts.allocate(1)[0];
        // Dovecot takes the PROXY header on a listener of its own, from the proxies only
        dovecot = RealDovecot.startExtra("""
                haproxy_trusted_networks = 127.0.0.0/8
                service imap-login {
                  inet_listener imap_haproxy {
                    address = 127.0.0.1
                    port = %d
                    haproxy = yes
                  }
                }
                """.formatted(haproxyPort));
        postfix = RealServers.postfix();
        String config = """
                mailproxy {
                  backends {
                    dv { host = "127.0.0.1", imap { port = %d, proxy-protocol = v2 } }
                    pf { host = "127.0.0.1", smtp { port = %d, auth = plain, xclient = true } }
                  }
                  routers { imap { type = static, default = dv }, smtp { type = static, default = pf } }
                  listener-defaults { proxy-protocol = true, trusted-proxies = ["127.0.0.1"] }
                  listeners = [ { name = imap, protocol = imap, listen = "127.0.0.1:0", router = imap },
                                { name = smtp, protocol = smtp, listen = "127.0.0.1:0", router = smtp } ]
                }""".formatted(haproxyPort, postfix.smtpPort());
        a = TestProxy.start(config);
        b = TestProxy.start(config);
        imapBalancer = RealHaproxy.start(a.port("imap"), b.port("imap"));
        smtpBalancer = RealHaproxy.start(a.port("smtp"), b.port("smtp"));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {imapBalancer, smtpBalancer, a, b}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        if (dovecot != null) dovecot.close();
    }

    /** A client socket from {@code from} to 127.0.0.1:port. */
    private static RawClient from(String from, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return new RawClient(s);
    }

    @Test
    void imapLoginsThroughTheBalancerReachDovecotWithTheClientsAddressAndUseBothProxies() throws Exception {
        long mark = dovecot.logMark();
        try (LogCapture log = new LogCapture();
             RawClient one = from(CLIENT, imapBalancer.port()); RawClient two = from(CLIENT, imapBalancer.port())) {
            for (RawClient c : new RawClient[] {one, two}) {
                c.expect("* OK [CAPABILITY ");
                c.line("a LOGIN bob secret");
                c.expect("a OK");
            }
            // round robin: one session on each proxy
            assertEquals(1, a.activeSessions());
            assertEquals(1, b.activeSessions());
            String login = dovecot.awaitLog(mark, "rip=" + CLIENT, Duration.ofSeconds(10));
            assertTrue(login.contains("user=<bob>"), login);
            for (RawClient c : new RawClient[] {one, two}) {
                c.line("b LOGOUT");
                c.expect("* BYE");
            }
            String line = log.awaitLine(Duration.ofSeconds(5), "imap id=", "client=" + CLIENT + ":", "via=127.0.0.1:");
            assertTrue(line.contains("user=bob"), line);
        }
    }

    @Test
    void smtpThroughTheBalancerTellsPostfixTheClientsAddressByXclient() throws Exception {
        long mark = postfix.logMark();
        try (RawClient c = from(CLIENT, smtpBalancer.port())) {
            c.expect("220 ");
            c.line("EHLO client.example");
            for (String l = c.readLine(); l.startsWith("250-"); l = c.readLine()) { /* capabilities */ }
            String plain = Base64.getEncoder().encodeToString("\0bob\0secret".getBytes(StandardCharsets.ISO_8859_1));
            c.line("AUTH PLAIN " + plain);
            c.expect("235 ");
            c.line("QUIT");
            c.expect("221");
        }
        String line = postfix.awaitLog(mark, "[" + CLIENT + "]", Duration.ofSeconds(10));
        assertTrue(line.contains("client="), line);
    }

    @Test
    void aPeerOutsideTrustedProxiesIsClosedWithoutAGreeting() throws Exception {
        try (LogCapture log = new LogCapture(); RawClient c = from(CLIENT, a.port("imap"))) {
            c.send(ProxyHeaderWriter.v1(new InetSocketAddress("198.51.100.7", 5555), new InetSocketAddress("127.0.0.1", 143)));
            assertTrue(c.closedByPeer(), "closed without a greeting");
            log.awaitLine(Duration.ofSeconds(5), "imap id=", "client=" + CLIENT + ":", "outcome=untrusted-proxy");
        }
    }

    @Test
    void aTrustedPeerWithoutAValidHeaderIsClosedAndItsLocalHealthCheckIsServed() throws Exception {
        try (LogCapture log = new LogCapture()) {
            try (RawClient c = from("127.0.0.1", a.port("imap"))) {
                c.line("a CAPABILITY");
                assertTrue(c.closedByPeer(), "closed without a greeting");
                log.awaitLine(Duration.ofSeconds(5), "imap id=", "outcome=bad-proxy-header");
            }
            // LOCAL: the balancer's own check; the session runs on the socket's addresses
            try (RawClient c = from("127.0.0.1", a.port("imap"))) {
                c.send(ProxyHeaderWriter.v2Local());
                c.expect("* OK [CAPABILITY ");
                c.line("a LOGOUT");
                c.expect("* BYE");
            }
        }
    }
}
