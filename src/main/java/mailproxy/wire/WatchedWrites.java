package mailproxy.wire;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;

/**
 * A {@link Connection}'s writes as the {@link Watchdog} sees them: a write stamps its start
 * ({@link Connection#write(byte[], int, int)}), and one that makes no progress for the write
 * timeout, or outlives the lifetime it began in, has the TCP socket closed under it. And
 * the close, whose TLS close_notify is such a write when the session's own thread closes.
 * A part of {@link Connection} (see {@link ConnectionSocket}).
 */
abstract sealed class WatchedWrites extends Deadlines permits Connection {
    /**
     * How long {@link #close()} lets a TLS socket try to send its close_notify before it
     * closes the TCP socket under it.
     */
    static final Duration TLS_CLOSE_WAIT = Duration.ofMillis(500);

    /**
     * The thread that made this connection: the session's, which closes it at the end. Only
     * its close may wait (a bounded while) for a close_notify; see {@link #close()}. An id,
     * not the Thread: a backend connection outlives the child thread that dialled it.
     */
    private final long ownerId;
    private volatile long writeTimeoutNanos;
    /** System.nanoTime() when the write in progress began, or 0 when none is. */
    volatile long writingSince;
    private volatile boolean writeStalled;

    WatchedWrites(Socket socket) throws IOException {
        super(socket);
        this.ownerId = Thread.currentThread().threadId();
    }

    /** This object as the Watchdog knows it: the class is sealed, it is always a Connection. */
    private Connection connection() { return (Connection) this; }

    /**
     * From now on a write that makes no progress for {@code timeout} closes this connection
     * (see {@link Watchdog}). Callable again to change the timeout, e.g. from the pre-login
     * timeout to the relay's idle timeout.
     */
    public final void watchWrites(Watchdog w, Duration timeout) {
        writeTimeoutNanos = timeout.toNanos();
        if (watchdog == null) {
            watchdog = w;
            w.watch(connection());
        }
    }

    /** Changes the write timeout of a watched connection. */
    public final void writeTimeout(Duration timeout) { writeTimeoutNanos = timeout.toNanos(); }

    /** True when the watchdog closed this connection because a write stalled. */
    public final boolean writeStalled() { return writeStalled; }

    final void abortIfWriteStalled(long now) {
        long since = writingSince;
        long end = lifetimeEnd;
        // a write begun before the lifetime's end may not outlast it; one begun after it (the
        // timeout reply) gets the write timeout like any other
        boolean outlived = end != 0 && since - end < 0 && now - end > 0;
        if (since != 0 && (now - since > writeTimeoutNanos || outlived)) {
            writeStalled = true;
            // The TCP socket itself: an SSLSocket's close would wait for the write lock the
            // stalled writer holds; closing what is under it wakes the writer at once.
            Socket under = tcp;
            closeQuietly(under != null ? under : socket);
            close();
        }
    }

    /**
     * Closes the socket; safe from any thread. A TLS socket sends its close_notify first,
     * and that needs the TLS write lock: a relay thread blocked writing to a peer that
     * does not read holds that lock for as long as the peer likes, and SSLSocket.close()
     * would wait with it (a plain socket's close wakes the writer instead); and the
     * close_notify's own write may find the window full.
     *
     * <p>Closed by the thread that made it (the session's own close at its end), with the
     * connection watched and no write under way, it closes on that thread: the
     * close_notify is then a write like any other, and if it makes no progress for
     * {@link #TLS_CLOSE_WAIT} (or the write timeout, if shorter) the {@link Watchdog} closes
     * the TCP socket under it, which ends it. That is the close at the end of nearly every
     * session, and it costs no thread (two virtual threads and a timed join before:
     * bench/RESULTS.md, "Issue 22: TLS connection CPU, third pass").
     *
     * <p>Otherwise (another thread: a kick, the relay's other direction, a stopping server;
     * a write under way; no open watchdog) the close runs on a virtual thread
     * of its own, and if it has not finished after {@link #TLS_CLOSE_WAIT}, the TCP socket
     * under it is closed, which ends the blocked write and with it the TLS close. The
     * caller does not wait: a stopping server closes its sessions one after the other.
     */
    public final void close() {
        Watchdog w = watchdog;
        Socket s = socket;
        Socket under = tcp;
        if (under == null || s.isClosed()) {
            if (w != null) w.unwatch(connection());
            if (under == null) closeQuietly(s);
            return;
        }
        if (w != null && w.isOpen() && writingSince == 0 && Thread.currentThread().threadId() == ownerId) {
            writeTimeoutNanos = Math.min(writeTimeoutNanos, TLS_CLOSE_WAIT.toNanos());
            writingSince = System.nanoTime() | 1; // never 0, which means "not writing"
            try {
                closeQuietly(s);
            } finally {
                writingSince = 0;
                w.unwatch(connection());
            }
            return;
        }
        if (w != null) w.unwatch(connection());
        Thread.ofVirtual().name("tls close").start(() -> {
            Thread graceful = Thread.ofVirtual().name("tls close_notify").start(() -> closeQuietly(s));
            try {
                if (!graceful.join(TLS_CLOSE_WAIT)) closeQuietly(under);
            } catch (InterruptedException e) {
                closeQuietly(under);
            }
        });
    }
}
