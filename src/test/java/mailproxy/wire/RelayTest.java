package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The relay between a client and a backend, over real loopback sockets. */
@Timeout(20)
class RelayTest {
    @RegisterExtension
    final RelayEnds ends = new RelayEnds();

    private final Watchdog sweeper = new Watchdog(Duration.ofMillis(20));

    @AfterEach
    void close() throws IOException {
        sweeper.close();
    }

    private CompletableFuture<Relay.Result> relay(Duration idle) {
        return CompletableFuture.supplyAsync(() -> new Relay(ends.client(), ends.backend(), idle, Duration.ofSeconds(2), 4096, sweeper).run("test"),
                r -> Thread.ofVirtual().start(r));
    }

    @Test
    void copiesBothWaysByteExactAndCountsBytes() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        byte[] big = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(big);
        CompletableFuture<byte[]> atBackend = CompletableFuture.supplyAsync(() -> readAll(ends.backendEnd(), big.length));
        ends.clientEnd().getOutputStream().write(big);
        assertArrayEquals(big, atBackend.get(10, TimeUnit.SECONDS));
        ends.backendEnd().getOutputStream().write("* OK bye\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("* OK bye\r\n", new String(readAll(ends.clientEnd(), 10), StandardCharsets.ISO_8859_1));
        ends.backendEnd().close();
        Relay.Result r = done.get(10, TimeUnit.SECONDS);
        assertEquals(big.length, r.clientToBackend());
        assertEquals(10, r.backendToClient());
        assertEquals(Relay.End.BACKEND_CLOSED, r.end());
        assertEquals(-1, ends.clientEnd().getInputStream().read(), "client sees the close");
    }

    @Test
    void clientHalfCloseLetsTheBackendFinishItsAnswer() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        ends.clientEnd().getOutputStream().write("a LOGOUT\r\n".getBytes(StandardCharsets.ISO_8859_1));
        ends.clientEnd().shutdownOutput();
        assertEquals("a LOGOUT\r\n", new String(readAll(ends.backendEnd(), 10), StandardCharsets.ISO_8859_1));
        assertEquals(-1, ends.backendEnd().getInputStream().read(), "backend gets the FIN");
        ends.backendEnd().getOutputStream().write("* BYE\r\na OK\r\n".getBytes(StandardCharsets.ISO_8859_1));
        ends.backendEnd().close();
        assertEquals("* BYE\r\na OK\r\n", new String(ends.clientEnd().getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1));
        assertEquals(Relay.End.CLIENT_CLOSED, done.get(10, TimeUnit.SECONDS).end());
    }

    @Test
    void bytesBufferedBeforeTheRelayGoFirst() throws Exception {
        // the client pipelined a command behind its login: it sits in the proxy's buffer
        ends.clientEnd().getOutputStream().write("LOGIN\r\nSELECT INBOX\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("LOGIN", ends.client().readLine(100));
        Await.until(Duration.ofSeconds(5), ends.client()::hasBuffered);
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        assertEquals("SELECT INBOX\r\n", new String(readAll(ends.backendEnd(), 14), StandardCharsets.ISO_8859_1));
        ends.backendEnd().close();
        done.get(10, TimeUnit.SECONDS);
    }

    @Test
    void backendThatIgnoresTheClientsFinIsClosedAfterTheHalfCloseTimeout() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        ends.clientEnd().shutdownOutput();
        assertEquals(-1, ends.backendEnd().getInputStream().read(), "backend gets the FIN");
        // the backend keeps its side open: the relay gives up after 2 s, not proxy-timeout
        assertEquals(Relay.End.CLIENT_CLOSED, done.get(10, TimeUnit.SECONDS).end());
        assertEquals(-1, ends.clientEnd().getInputStream().read());
    }

    @Test
    void idleTimeoutClosesBoth() throws Exception {
        Relay.Result r = relay(Duration.ofMillis(300)).get(10, TimeUnit.SECONDS);
        assertEquals(Relay.End.IDLE_TIMEOUT, r.end());
        assertEquals(-1, ends.clientEnd().getInputStream().read());
        assertEquals(-1, ends.backendEnd().getInputStream().read());
    }

    @Test
    void trafficOneWayKeepsTheOtherWayFromTimingOut() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMillis(600));
        // the client is silent (IMAP IDLE) while the backend talks every 150 ms
        for (int i = 0; i < 8; i++) {
            ends.backendEnd().getOutputStream().write("* 1 EXISTS\r\n".getBytes(StandardCharsets.ISO_8859_1));
            readAll(ends.clientEnd(), 12);
            Await.pause(Duration.ofMillis(150));
        }
        ends.backendEnd().close();
        assertEquals(Relay.End.BACKEND_CLOSED, done.get(10, TimeUnit.SECONDS).end());
    }

    @Test
    void clientResetClosesTheBackend() throws Exception {
        CompletableFuture<Relay.Result> done = relay(Duration.ofMinutes(1));
        ends.clientEnd().setSoLinger(true, 0);
        ends.clientEnd().close(); // RST
        done.get(10, TimeUnit.SECONDS);
        InputStream in = ends.backendEnd().getInputStream();
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
