package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay between a client and a backend, over real loopback sockets. */
@Timeout(20)
class RelayTest {
    private ServerSocket server;
    private Socket clientEnd;   // the mail client
    private Socket backendEnd;  // the mail server
    private Connection client;  // proxy's side towards the client
    private Connection backend; // proxy's side towards the backend

    @BeforeEach
    void sockets() throws IOException {
        server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        clientEnd = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        client = new Connection(server.accept(), 1024);
        Socket b = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        backendEnd = server.accept();
        backend = new Connection(b, 1024);
        clientEnd.setSoTimeout(10_000);
        backendEnd.setSoTimeout(10_000);
    }

    private final Watchdog sweeper = new Watchdog(Duration.ofMillis(20));

    @AfterEach
    void close() throws IOException {
        sweeper.close();
        clientEnd.close();
        backendEnd.close();
        server.close();
    }

    private CompletableFuture<Relay.Result> relay(Duration idle) {
        return CompletableFuture.supplyAsync(() -> new Relay(client, backend, idle, Duration.ofSeconds(2), 4096, sweeper).run("test"),
                r -> Thread.ofVirtual().start(r));
    }

    @Test
    void copiesBothWaysByteExactAndCountsBytes() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        byte[] big = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(big);
        CompletableFuture<byte[]> atBackend = CompletableFuture.supplyAsync(() -> readAll(backendEnd, big.length));
        clientEnd.getOutputStream().write(big);
        assertArrayEquals(big, atBackend.get(10, TimeUnit.SECONDS));
        backendEnd.getOutputStream().write("* OK bye\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("* OK bye\r\n", new String(readAll(clientEnd, 10), StandardCharsets.ISO_8859_1));
        backendEnd.close();
        Relay.Result r = done.get(10, TimeUnit.SECONDS);
        assertEquals(big.length, r.clientToBackend());
        assertEquals(10, r.backendToClient());
        assertEquals(Relay.End.BACKEND_CLOSED, r.end());
        assertEquals(-1, clientEnd.getInputStream().read(), "client sees the close");
    }

    @Test
    void clientHalfCloseLetsTheBackendFinishItsAnswer() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        clientEnd.getOutputStream().write("a LOGOUT\r\n".getBytes(StandardCharsets.ISO_8859_1));
        clientEnd.shutdownOutput();
        assertEquals("a LOGOUT\r\n", new String(readAll(backendEnd, 10), StandardCharsets.ISO_8859_1));
        assertEquals(-1, backendEnd.getInputStream().read(), "backend gets the FIN");
        backendEnd.getOutputStream().write("* BYE\r\na OK\r\n".getBytes(StandardCharsets.ISO_8859_1));
        backendEnd.close();
        assertEquals("* BYE\r\na OK\r\n", new String(clientEnd.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1));
        assertEquals(Relay.End.CLIENT_CLOSED, done.get(10, TimeUnit.SECONDS).end());
    }

    @Test
    void bytesBufferedBeforeTheRelayGoFirst() throws Exception {
        // the client pipelined a command behind its login: it sits in the proxy's buffer
        clientEnd.getOutputStream().write("LOGIN\r\nSELECT INBOX\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("LOGIN", client.readLine(100));
        Await.until(Duration.ofSeconds(5), client::hasBuffered);
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        assertEquals("SELECT INBOX\r\n", new String(readAll(backendEnd, 14), StandardCharsets.ISO_8859_1));
        backendEnd.close();
        done.get(10, TimeUnit.SECONDS);
    }

    @Test
    void backendThatIgnoresTheClientsFinIsClosedAfterTheHalfCloseTimeout() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        clientEnd.shutdownOutput();
        assertEquals(-1, backendEnd.getInputStream().read(), "backend gets the FIN");
        // the backend keeps its side open: the relay gives up after 2 s, not proxy-timeout
        assertEquals(Relay.End.CLIENT_CLOSED, done.get(10, TimeUnit.SECONDS).end());
        assertEquals(-1, clientEnd.getInputStream().read());
    }

    @Test
    void idleTimeoutClosesBoth() throws Exception {
        Relay.Result r = relay(Duration.ofMillis(300)).get(10, TimeUnit.SECONDS);
        assertEquals(Relay.End.IDLE_TIMEOUT, r.end());
        assertEquals(-1, clientEnd.getInputStream().read());
        assertEquals(-1, backendEnd.getInputStream().read());
    }

    @Test
    void trafficOneWayKeepsTheOtherWayFromTimingOut() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMillis(600));
        // the client is silent (IMAP IDLE) while the backend talks every 150 ms
        for (int i = 0; i < 8; i++) {
            backendEnd.getOutputStream().write("* 1 EXISTS\r\n".getBytes(StandardCharsets.ISO_8859_1));
            readAll(clientEnd, 12);
            Await.pause(Duration.ofMillis(150));
        }
        backendEnd.close();
        assertEquals(Relay.End.BACKEND_CLOSED, done.get(10, TimeUnit.SECONDS).end());
    }

    @Test
    void clientResetClosesTheBackend() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        clientEnd.setSoLinger(true, 0);
        clientEnd.close(); // RST
        done.get(10, TimeUnit.SECONDS);
        InputStream in = backendEnd.getInputStream();
        int b;
        try {
            b = in.read();
        } catch (IOException e) {
            b = -1;
        }
        assertEquals(-1, b);
    }

    private static byte[] readAll(Socket s, int n) {
        try {
            return s.getInputStream().readNBytes(n);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
