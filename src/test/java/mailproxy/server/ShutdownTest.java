package mailproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A stopping server frees what it holds: sleeping sessions wake, routers close their connections. */
@Timeout(60)
class ShutdownTest {

    /** An nginx-style auth server on a raw socket, keeping its connection alive between requests. */
    private static ScriptedServer authServer(String status, String extraHeaders, CountDownLatch closedByProxy) throws Exception {
        return new ScriptedServer(peer -> {
            while (true) {
                String line = peer.readLine();
                if (line == null) {
                    closedByProxy.countDown();
                    return;
                }
                if (!line.isEmpty()) continue; // request line and headers
                peer.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAuth-Status: " + status + "\r\n" + extraHeaders + "\r\n");
            }
        });
    }

    private static TestProxy proxy(int authPort, int backendPort) throws Exception {
        return TestProxy.start("""
                mailproxy {
                  drain-timeout = 0s
                  backends { b { host = "127.0.0.1", pop3 { port = %d } } }
                  routers { auth { type = auth-http, url = "http://127.0.0.1:%d/auth", keepalive = 4, backend-options = b } }
                  listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" } ]
                }""".formatted(backendPort, authPort));
    }

    @Test
    void aSessionSleepingOnAuthWaitIsWokenByTheStop() throws Exception {
        CountDownLatch unused = new CountDownLatch(1);
        try (LogCapture log = new LogCapture();
             ScriptedServer auth = authServer("Invalid login or password", "Auth-Wait: 600\r\n", unused)) {
            TestProxy p = proxy(auth.port(), 1);
            try (RawClient c = RawClient.connect(p.port("pop3"))) {
                c.expect("+OK");
                c.line("USER bob");
                c.expect("+OK");
                c.line("PASS wrong");
                // the router said: wait 600 s, then tell the client; the session sleeps
                Await.until(java.time.Duration.ofSeconds(2), () -> auth.accepted() > 0);
                Thread.sleep(200);
                long start = System.nanoTime();
                p.close();
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(took < 10_000, "stop took " + took + " ms");
                log.awaitLine(Duration.ofSeconds(5), "pop3 id=", "user=bob", "outcome=shutdown");
            }
        }
    }

    @Test
    void theAuthHttpRoutersKeepAliveConnectionsAreClosedOnStop() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        try (ScriptedServer backend = new ScriptedServer(peer -> {
            peer.line("+OK ready");
            assertEquals("USER bob", peer.readLine());
            peer.line("+OK");
            assertEquals("PASS pw", peer.readLine());
            peer.line("+OK Logged in.");
            peer.closedByPeer();
        }); ScriptedServer auth = authServer("OK", "Auth-Server: 127.0.0.1\r\nAuth-Port: " + backend.port() + "\r\n", closed)) {
            TestProxy p = proxy(auth.port(), backend.port());
            try (RawClient c = RawClient.connect(p.port("pop3"))) {
                c.expect("+OK");
                c.line("USER bob");
                c.expect("+OK");
                c.line("PASS pw");
                c.expect("+OK Logged in.");
                c.line("QUIT");
            }
            assertEquals(1, closed.getCount(), "the keep-alive connection is still open before the stop");
            p.close();
            assertTrue(closed.await(5, TimeUnit.SECONDS), "the router's pooled connection was closed");
        }
    }
}
