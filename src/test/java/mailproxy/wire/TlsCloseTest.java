package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mailproxy.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The close of a connection with a TLS layer: on the session's own thread it runs in
 * place, bounded by the watchdog; from any other thread it never waits.
 */
@Timeout(20)
class TlsCloseTest {
    private ServerSocket server;
    private Socket tcp;
    private Socket peer;
    private Watchdog watchdog;

    @BeforeEach
    void pair() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        tcp = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        peer = server.accept();
        watchdog = new Watchdog(Duration.ofMillis(20));
    }

    @AfterEach
    void close() throws IOException {
        watchdog.close();
        tcp.close();
        peer.close();
        server.close();
    }

    /** A TLS layer whose close (its close_notify) blocks until the TCP socket under it is closed. */
    static final class StuckLayer extends Socket {
        final Socket under;
        final CompletableFuture<Thread> closedBy = new CompletableFuture<>();
        final CountDownLatch ended = new CountDownLatch(1);
        private volatile boolean closed;

        StuckLayer(Socket under) {
            this.under = under;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            closedBy.complete(Thread.currentThread());
            try {
                under.getInputStream().read(); // the peer sends nothing: only closing `under` ends this
            } finally {
                ended.countDown();
            }
        }

        @Override public boolean isClosed() { return closed; }
        @Override public InputStream getInputStream() throws IOException { return under.getInputStream(); }
        @Override public OutputStream getOutputStream() throws IOException { return under.getOutputStream(); }
        @Override public SocketAddress getRemoteSocketAddress() { return under.getRemoteSocketAddress(); }
    }

    private Connection upgraded(StuckLayer layer) throws IOException {
        Connection c = new Connection(tcp, 64);
        c.replaceSocket(layer);
        c.watchWrites(watchdog, Duration.ofMinutes(5));
        return c;
    }

    /** The session's own close at its end: no thread started, and a stuck close_notify is ended. */
    @Test
    void theOwnersCloseRunsInPlaceAndTheWatchdogEndsAStuckCloseNotify() throws Exception {
        StuckLayer layer = new StuckLayer(tcp);
        Connection c = upgraded(layer);
        c.close(); // returns when the watchdog, TLS_CLOSE_WAIT later, closes the TCP socket (else the class's @Timeout)
        assertEquals(Thread.currentThread(), layer.closedBy.getNow(null), "closed on the caller's thread");
        assertTrue(tcp.isClosed(), "the watchdog closed the TCP socket under the layer");
        assertEquals(0, watchdog.watched(), "nothing left watched");
    }

    /** A kick or a stopping server closes from another thread: it must not wait. */
    @Test
    void anotherThreadsCloseDoesNotWait() throws Exception {
        StuckLayer layer = new StuckLayer(tcp);
        Connection c = upgraded(layer);
        CompletableFuture<Void> other = CompletableFuture.runAsync(c::close, r -> Thread.ofVirtual().start(r));
        other.get(1, TimeUnit.SECONDS); // returned while the layer's close is still stuck
        Thread closer = layer.closedBy.get(5, TimeUnit.SECONDS);
        assertTrue(closer.isVirtual() && closer.getName().equals("tls close_notify"), closer.toString());
        assertTrue(layer.ended.await(5, TimeUnit.SECONDS), "TLS_CLOSE_WAIT later the TCP socket is closed");
        Await.until(Duration.ofSeconds(5), "nothing left watched", () -> watchdog.watched() == 0);
    }
}
