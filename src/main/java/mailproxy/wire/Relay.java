package mailproxy.wire;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Copies bytes both ways between a logged-in client and its backend until one side ends.
 *
 * <p>Backend to client runs on the caller's (session) thread, client to backend on a second
 * virtual thread. What either side sent ahead of the relay (a client's commands pipelined
 * behind its login, a backend's early replies) is forwarded first, so nothing is lost.
 *
 * <p>Endings: the client half-closes → the backend gets our FIN and may still answer, for at
 * most {@code halfCloseTimeout}; the backend closes → the session is over and both sockets
 * are closed. No byte in either direction for {@code idleTimeout} closes both (nginx's
 * proxy_timeout; the {@link Watchdog} watches the clock, reads carry no timeout). A write
 * that makes no progress for the idle timeout (a peer that stopped reading) closes both too;
 * the Watchdog sees that as well. A read error on either side closes both, which also wakes
 * the other direction.
 */
public final class Relay {
    /** How the relay ended, for the session's log line. */
    public record Result(long clientToBackend, long backendToClient, End end) {}

    /** Why the relay ended. */
    public enum End {
        /** The backend closed (an IMAP LOGOUT, a POP3 QUIT, a kick). */
        BACKEND_CLOSED,
        /** The client closed, and the backend finished within the half-close timeout. */
        CLIENT_CLOSED,
        /** No byte either way for the idle timeout. */
        IDLE_TIMEOUT,
        /** A peer stopped reading: a write made no progress for the idle timeout. */
        WRITE_STALLED,
        /** Reading the backend failed (reset, TLS error). */
        BACKEND_ERROR,
        /** Reading the client failed (reset, TLS error). */
        CLIENT_ERROR,
        /** Forwarding what was sent ahead of the relay failed. */
        RELAY_ERROR
    }

    /** What an idle direction holds while it waits: enough for any command or short reply. */
    static final int IDLE_BUFFER = 256;

    private final Connection client;
    private final Connection backend;
    private final long idleNanos;
    private final int bufferSize;
    private final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
    private final AtomicLong upBytes = new AtomicLong();
    private final AtomicLong downBytes = new AtomicLong();
    private final CountDownLatch downDone = new CountDownLatch(1);
    private final Duration halfCloseTimeout;
    private final Watchdog sweeper;
    private LongConsumer upMeter;
    private LongConsumer downMeter;
    private volatile End upEnd;
    private volatile boolean expired;

    public Relay(Connection client, Connection backend, Duration idleTimeout, Duration halfCloseTimeout,
                 int bufferSize, Watchdog sweeper) {
        this.halfCloseTimeout = halfCloseTimeout;
        this.sweeper = sweeper;
        this.client = client;
        this.backend = backend;
        this.idleNanos = idleTimeout.toNanos();
        this.bufferSize = bufferSize;
    }

    /**
     * Where each direction also counts its bytes as they pass (metrics); set before
     * {@link #run}. One call per read: a byte count, no lookup.
     */
    public Relay meter(LongConsumer clientToBackend, LongConsumer backendToClient) {
        this.upMeter = clientToBackend;
        this.downMeter = backendToClient;
        return this;
    }

    /** Bytes carried from the client to the backend so far (any thread). */
    public long bytesUp() { return upBytes.get(); }

    /** Bytes carried from the backend to the client so far (any thread). */
    public long bytesDown() { return downBytes.get(); }

    /** Runs until both directions have ended; never throws for network trouble. */
    public Result run(String threadName) {
        byte[] early = client.takeBuffered();
        byte[] earlyReplies = backend.takeBuffered();
        client.releaseBuffer();
        backend.releaseBuffer();
        try {
            client.watchWrites(sweeper, Duration.ofNanos(idleNanos));
            backend.watchWrites(sweeper, Duration.ofNanos(idleNanos));
            if (early.length > 0) {
                show(client, early);
                backend.write(early);
            }
            if (earlyReplies.length > 0) {
                show(backend, earlyReplies);
                client.write(earlyReplies);
            }
            client.noReadTimeout();
            backend.noReadTimeout();
        } catch (IOException e) {
            closeBoth();
            return new Result(early.length, earlyReplies.length, stalled() ? End.WRITE_STALLED : End.RELAY_ERROR);
        }
        upBytes.addAndGet(early.length);
        downBytes.addAndGet(earlyReplies.length);
        if (upMeter != null) upMeter.accept(early.length);
        if (downMeter != null) downMeter.accept(earlyReplies.length);
        sweeper.add(this);
        Thread up = Thread.ofVirtual().name(threadName + " up").start(this::clientToBackend);
        End end;
        try {
            pump(backend, client, downBytes, downMeter);
            end = upEnd == null ? End.BACKEND_CLOSED : End.CLIENT_CLOSED;
        } catch (IOException e) {
            end = expired ? End.IDLE_TIMEOUT : stalled() ? End.WRITE_STALLED : upEnd == null ? End.BACKEND_ERROR : upEnd;
        } finally {
            sweeper.remove(this);
            downDone.countDown();
            closeBoth();
        }
        try {
            up.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Result(upBytes.get(), downBytes.get(), end);
    }

    private boolean stalled() {
        return client.writeStalled() || backend.writeStalled();
    }

    private void clientToBackend() {
        try {
            pump(client, backend, upBytes, upMeter);
            upEnd = End.CLIENT_CLOSED;
            halfClose(backend.socket());
            // The backend may still answer (a LOGOUT's BYE), but one that keeps its side
            // open after our FIN must not hold the session until proxy-timeout.
            if (!downDone.await(halfCloseTimeout.toMillis(), TimeUnit.MILLISECONDS)) closeBoth();
        } catch (InterruptedException e) {
            closeBoth();
        } catch (IOException e) {
            upEnd = expired ? End.IDLE_TIMEOUT : stalled() ? End.WRITE_STALLED : End.CLIENT_ERROR;
            closeBoth();
        }
    }

    /**
     * Copies until end of stream, counting as it goes (a direction that ends in an error
     * still reports what it carried).
     *
     * <p>An idle session should cost almost nothing, and most relayed sessions are idle
     * (IMAP IDLE, clients parked between polls). So a direction waits on a small buffer,
     * switches to a {@code bufferSize} one when a read fills the small one (a FETCH, a
     * DATA), and drops it again once reads come back small: the big buffer lives only
     * while bytes are flowing.
     */
    private void pump(Connection source, Connection to, AtomicLong counter, LongConsumer meter) throws IOException {
        InputStream from = source.input();
        Connection.Tap tap = source.tap();
        byte[] small = new byte[Math.min(IDLE_BUFFER, bufferSize)];
        byte[] buf = small;
        while (true) {
            int n = from.read(buf);
            if (n < 0) return;
            lastActivity.set(System.nanoTime());
            if (tap != null && !tap.relayed(buf, 0, n)) tap = null;
            to.write(buf, 0, n);
            counter.addAndGet(n);
            if (meter != null) meter.accept(n);
            if (buf == small && n == small.length && bufferSize > small.length) buf = new byte[bufferSize];
            else if (buf != small && n < small.length) buf = small;
        }
    }

    /** What was sent ahead of the relay, to the trace of the connection it came from. */
    private static void show(Connection source, byte[] b) {
        Connection.Tap tap = source.tap();
        if (tap != null) tap.relayed(b, 0, b.length);
    }

    private static void halfClose(Socket s) {
        try {
            s.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    /**
     * Called by the sweeper: closes both sockets when neither direction has carried a byte
     * for the idle timeout, which wakes both blocked reads.
     */
    void expireIfIdle(long now) {
        if (now - lastActivity.get() >= idleNanos) {
            expired = true;
            closeBoth();
        }
    }

    private void closeBoth() {
        client.close();
        backend.close();
    }
}
