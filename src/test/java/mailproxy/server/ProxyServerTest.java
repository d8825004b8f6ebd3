package mailproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import mailproxy.config.ConfigLoader;
import mailproxy.testing.Await;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Listeners, connection permits, IPv6, and the graceful stop. */
@Timeout(30)
class ProxyServerTest {
    private static String config(String extra, String listen) {
        return """
                mailproxy {
                  %s
                  backends { b { host = "127.0.0.1", pop3 { port = 9 } } }
                  routers { r { type = static, default = b } }
                  listeners = [ { name = pop3, protocol = pop3, listen = %s } ]
                }
                """.formatted(extra, listen);
    }

    @Test
    void permitIsTakenBeforeAcceptSoExtraClientsWaitInTheBacklog() throws Exception {
        try (TestProxy p = TestProxy.start(config("max-connections = 2", "\"127.0.0.1:0\""))) {
            RawClient a = RawClient.connect(p.port("pop3"));
            RawClient b = RawClient.connect(p.port("pop3"));
            a.expect("+OK");
            b.expect("+OK");
            RawClient c = RawClient.connect(p.port("pop3")).timeout(500);
            assertTrue(c.silent(), "third client gets no greeting (and is not closed) while two are served");
            a.line("QUIT");
            a.expect("+OK");
            a.close();
            c.timeout(5000);
            c.expect("+OK"); // greeted once a permit is free
            b.close();
            c.close();
        }
    }

    @Test
    void servesIpv6Loopback() throws Exception {
        try (TestProxy p = TestProxy.start(config("", "[\"[::1]:0\"]"));
             RawClient c = RawClient.connect(new InetSocketAddress("::1", p.port("pop3")))) {
            c.expect("+OK");
        }
    }

    @Test
    void gracefulStopWaitsForSessionsThenClosesThem() throws Exception {
        TestProxy p = TestProxy.start(config("drain-timeout = 1s", "\"127.0.0.1:0\""));
        int port = p.port("pop3");
        RawClient c = RawClient.connect(port);
        c.expect("+OK");
        long t0 = System.nanoTime();
        Thread stopper = Thread.ofVirtual().start(p::close);
        // new connections are refused once the stop has begun
        assertTrue(Await.until(Duration.ofSeconds(5), () -> refused(port)), "still accepting after the stop began");
        assertThrows(IOException.class, () -> RawClient.connect(port).readLine());
        // the open session still works during the drain
        c.line("NOOP");
        c.expect("+OK");
        stopper.join(5000);
        assertTrue(c.closedByPeer(), "closed after the drain timeout");
        assertTrue(System.nanoTime() - t0 >= 900_000_000L, "waited for the drain");
        assertEquals(0, p.activeSessions());
    }

    /** Whether a connection to the port is refused (a probe that is accepted is closed at once). */
    private static boolean refused(int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void portInUseFailsStartupWithTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String hocon = config("", "\"127.0.0.1:" + taken.getLocalPort() + "\"");
            IOException e = assertThrows(IOException.class, () -> ProxyServer.start(ConfigLoader.parse(hocon, "t.conf")));
            assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
        }
    }
}
