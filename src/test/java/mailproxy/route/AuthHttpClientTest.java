package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.testing.RawClient;
import mailproxy.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The auth_http HTTP/1.1 client: keep-alive pool, framing, limits, timeouts. */
@Timeout(20)
class AuthHttpClientTest {
    private static final List<Map.Entry<String, String>> HEADERS = List.of(Map.entry("Auth-Method", "plain"));

    private static AuthHttpClient client(int port, int keepAlive) {
        return new AuthHttpClient(URI.create("http://127.0.0.1:" + port + "/auth?x=1"), Duration.ofSeconds(3), keepAlive);
    }

    /** Reads one request head; null when the client closed instead. */
    private static List<String> readRequest(RawClient peer) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String l = peer.readLine();
            if (l == null) return null;
            if (l.isEmpty()) return lines;
            lines.add(l);
        }
        throw new AssertionError("request head too long");
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no").body("ignored body"));
             AuthHttpClient c = client(auth.port(), 4)) {
            for (int i = 0; i < 3; i++) assertEquals("no", c.get(HEADERS).header("auth-status"));
            List<AuthServer.Request> rs = auth.requests();
            assertEquals(3, rs.size());
            assertEquals(rs.get(0).remote(), rs.get(1).remote());
            assertEquals(rs.get(0).remote(), rs.get(2).remote());
            assertEquals("/auth?x=1", rs.get(0).uri());
            assertEquals("GET", rs.get(0).method());
            assertEquals("127.0.0.1:" + auth.port(), rs.get(0).header("Host"));
            assertEquals(1, c.idleCount());
        }
    }

    @Test
    void keepaliveZeroClosesEachConnectionAsNginxDoes() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no"));
             AuthHttpClient c = client(auth.port(), 0)) {
            c.get(HEADERS);
            c.get(HEADERS);
            List<AuthServer.Request> rs = auth.requests();
            assertEquals("close", rs.get(0).header("Connection"));
            assertNotEquals(rs.get(0).remote(), rs.get(1).remote());
            assertEquals(0, c.idleCount());
        }
    }

    @Test
    void requestIsByteExact() throws Exception {
        List<List<String>> seen = new CopyOnWriteArrayList<>();
        try (ScriptedServer s = new ScriptedServer(peer -> {
                seen.add(readRequest(peer));
                peer.send("HTTP/1.1 200 OK\r\nAuth-Status: no\r\nContent-Length: 0\r\n\r\n");
                readRequest(peer);
             });
             AuthHttpClient c = client(s.port(), 1)) {
            c.get(List.of(Map.entry("Auth-User", "a%20b"), Map.entry("X-Key", "k")));
            assertEquals(List.of("GET /auth?x=1 HTTP/1.1", "Host: 127.0.0.1:" + s.port(), "Auth-User: a%20b", "X-Key: k"),
                    seen.get(0));
        }
    }

    @Test
    void headerValuesThatWouldSplitTheRequestAreRefused() {
        AuthHttpClient c = client(1, 1);
        assertThrows(IllegalArgumentException.class, () -> c.get(List.of(Map.entry("Auth-User", "a\r\nX: y"))));
        assertThrows(IllegalArgumentException.class, () -> c.get(List.of(Map.entry("Bad Name", "v"))));
    }

    @Test
    void idleConnectionClosedByTheServerIsRetriedOnANewOne() throws Exception {
        // answers one request per connection, then hangs up without saying so (Apache's short keep-alive)
        try (ScriptedServer s = new ScriptedServer(peer -> {
                readRequest(peer);
                peer.send("HTTP/1.1 200 OK\r\nAuth-Status: no\r\nContent-Length: 0\r\n\r\n");
             });
             AuthHttpClient c = client(s.port(), 4)) {
            assertEquals("no", c.get(HEADERS).header("auth-status"));
            Thread.sleep(100); // let the server's close arrive
            assertEquals("no", c.get(HEADERS).header("auth-status"));
            assertEquals(2, s.accepted());
        }
    }

    /**
     * Issue 19: one pooled connection that the server closed while it sat idle used to
     * turn keep-alive off for the client's whole life (every later request opened its own
     * connection). Only that connection may go: the next ones are pooled again.
     */
    @Test
    void oneStaleIdleConnectionDoesNotTurnKeepAliveOff() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ScriptedServer s = new ScriptedServer(peer -> {
                // the first connection answers once, then hangs up while idle; the others keep alive
                boolean first = connections.incrementAndGet() == 1;
                while (readRequest(peer) != null) {
                    peer.send("HTTP/1.1 200 OK\r\nAuth-Status: no\r\nContent-Length: 0\r\n\r\n");
                    if (first) return;
                }
             });
             AuthHttpClient c = client(s.port(), 4)) {
            assertEquals("no", c.get(HEADERS).header("auth-status"));
            assertEquals("no", c.get(HEADERS).header("auth-status")); // the stale one, retried on a new one
            assertEquals("no", c.get(HEADERS).header("auth-status"));
            assertEquals("no", c.get(HEADERS).header("auth-status"));
            assertEquals(2, s.accepted(), "connections opened");
            assertEquals(1, c.idleCount());
        }
    }

    @Test
    void chunkedBodyIsSkippedAndTheConnectionReused() throws Exception {
        try (ScriptedServer s = new ScriptedServer(peer -> {
                for (int i = 0; i < 2; i++) {
                    readRequest(peer);
                    peer.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nAuth-Status: n" + i + "\r\n\r\n"
                            + "5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n");
                }
                readRequest(peer);
             });
             AuthHttpClient c = client(s.port(), 4)) {
            assertEquals("n0", c.get(HEADERS).header("auth-status"));
            assertEquals("n1", c.get(HEADERS).header("auth-status"));
            assertEquals(1, s.accepted());
        }
    }

    @Test
    void connectionIsNotReusedWhenTheBodyEndsWithTheConnectionOrIsLarge() throws Exception {
        String[] answers = {
            "HTTP/1.1 200 OK\r\nAuth-Status: no\r\n\r\nbody until close",
            "HTTP/1.0 200 OK\r\nAuth-Status: no\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nAuth-Status: no\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nAuth-Status: no\r\nContent-Length: 999999\r\n\r\n",
        };
        for (String answer : answers) {
            try (ScriptedServer s = answering(answer); AuthHttpClient c = client(s.port(), 4)) {
                assertEquals("no", c.get(HEADERS).header("auth-status"), answer);
                assertEquals(0, c.idleCount(), answer);
            }
        }
    }

    @Test
    void http10KeepAliveIsReused() throws Exception {
        try (ScriptedServer s = answeringThenWaiting("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nAuth-Status: no\r\nContent-Length: 2\r\n\r\nok");
             AuthHttpClient c = client(s.port(), 4)) {
            c.get(HEADERS);
            assertEquals(1, c.idleCount());
        }
    }

    @Test
    void interimResponsesAreSkipped() throws Exception {
        try (ScriptedServer s = answeringThenWaiting("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nAuth-Status: OK\r\nContent-Length: 0\r\n\r\n");
             AuthHttpClient c = client(s.port(), 4)) {
            AuthHttpClient.Response r = c.get(HEADERS);
            assertEquals(200, r.status());
            assertEquals("OK", r.header("auth-status"));
        }
    }

    @Test
    void malformedResponsesAreRefused() throws Exception {
        String many = "X-H: v\r\n".repeat(AuthHttpClient.MAX_HEADERS + 1);
        String[] answers = {
            "SMTP/1.0 220 hello\r\n\r\n",
            "HTTP/1.1 200 OK\r\n" + many + "\r\n",
            "HTTP/1.1 200 OK\r\nX-Long: " + "a".repeat(AuthHttpClient.MAX_LINE) + "\r\n\r\n",
            "HTTP/1.1 200 OK\r\nAuth-Status: OK\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        };
        for (String answer : answers) {
            try (ScriptedServer s = answering(answer); AuthHttpClient c = client(s.port(), 4)) {
                assertThrows(AuthHttpClient.MalformedResponseException.class, () -> c.get(HEADERS),
                        answer.substring(0, Math.min(40, answer.length())));
            }
        }
    }

    /** An auth server that answers one request with {@code answer}, then waits for the close. */
    private static ScriptedServer answering(String answer) throws IOException {
        return new ScriptedServer(peer -> {
            readRequest(peer);
            peer.send(answer);
            peer.closedByPeer();
        });
    }

    /** An auth server that answers one request with {@code answer} and keeps the connection for the next one. */
    private static ScriptedServer answeringThenWaiting(String answer) throws IOException {
        return new ScriptedServer(peer -> {
            readRequest(peer);
            peer.send(answer);
            readRequest(peer);
        });
    }

    @Test
    void silentServerTimesOut() throws Exception {
        try (ScriptedServer s = new ScriptedServer(peer -> {
                readRequest(peer);
                peer.timeout(10_000).closedByPeer();
             })) {
            AuthHttpClient c = new AuthHttpClient(URI.create("http://127.0.0.1:" + s.port() + "/"), Duration.ofMillis(300), 4);
            long t0 = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> c.get(HEADERS));
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
            c.close();
        }
    }

    @Test
    void hangUpWithoutAnswerAndRefusedConnectionAreIoErrors() throws Exception {
        try (ScriptedServer s = new ScriptedServer(peer -> readRequest(peer))) {
            IOException e = assertThrows(IOException.class, () -> client(s.port(), 4).get(HEADERS));
            assertFalse(e instanceof AuthHttpClient.MalformedResponseException);
        }
        int closedPort;
        try (ServerSocket ss = new ServerSocket(0)) {
            closedPort = ss.getLocalPort();
        }
        assertThrows(IOException.class, () -> client(closedPort, 4).get(HEADERS));
    }
}
