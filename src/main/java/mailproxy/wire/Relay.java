package mailproxy.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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
 * proxy_timeout; the {@link IdleSweeper} watches the clock, reads carry no timeout). A read
 * error on either side closes both, which also wakes the other direction.
 */
public final class Relay {
    /** How the relay ended, for the session's log line. */
    public record Result(long clientToBackend, long backendToClient, String outcome) {}

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
    private final IdleSweeper sweeper;
    private volatile String upEnd = "";
    private volatile boolean expired;

    public Relay(Connection client, Connection backend, Duration idleTimeout, Duration halfCloseTimeout,
                 int bufferSize, IdleSweeper sweeper) {
        this.halfCloseTimeout = halfCloseTimeout;
        this.sweeper = sweeper;
        this.client = client;
        this.backend = backend;
        this.idleNanos = idleTimeout.toNanos();
        this.bufferSize = bufferSize;
    }

    /** Runs until both directions have ended; never throws for network trouble. */
    public Result run(String threadName) {
        byte[] early = client.takeBuffered();
        byte[] earlyReplies = backend.takeBuffered();
        client.releaseBuffer();
        backend.releaseBuffer();
        try {
            if (early.length > 0) backend.write(early);
            if (earlyReplies.length > 0) client.write(earlyReplies);
            client.noReadTimeout();
            backend.noReadTimeout();
        } catch (IOException e) {
            closeBoth();
            return new Result(early.length, earlyReplies.length, "relay-error");
        }
        upBytes.addAndGet(early.length);
        downBytes.addAndGet(earlyReplies.length);
        sweeper.add(this);
        Thread up = Thread.ofVirtual().name(threadName + " up").start(this::clientToBackend);
        String outcome;
        try {
            pump(backend.input(), client.output(), downBytes);
            outcome = upEnd.isEmpty() ? "backend-closed" : "client-closed";
        } catch (IOException e) {
            outcome = expired ? "idle-timeout" : upEnd.isEmpty() ? "backend-error" : upEnd;
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
        return new Result(upBytes.get(), downBytes.get(), outcome);
    }

    private void clientToBackend() {
        try {
            pump(client.input(), backend.output(), upBytes);
            upEnd = "client-closed";
            halfClose(backend.socket());
            // The backend may still answer (a LOGOUT's BYE), but one that keeps its side
            // open after our FIN must not hold the session until proxy-timeout.
            if (!downDone.await(halfCloseTimeout.toMillis(), TimeUnit.MILLISECONDS)) closeBoth();
        } catch (InterruptedException e) {
            closeBoth();
        } catch (IOException e) {
            upEnd = expired ? "idle-timeout" : "client-error";
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
    private void pump(InputStream from, OutputStream to, AtomicLong counter) throws IOException {
        byte[] small = new byte[Math.min(IDLE_BUFFER, bufferSize)];
        byte[] buf = small;
        while (true) {
            int n = from.read(buf);
            if (n < 0) return;
            lastActivity.set(System.nanoTime());
            to.write(buf, 0, n);
            to.flush();
            counter.addAndGet(n);
            if (buf == small && n == small.length && bufferSize > small.length) buf = new byte[bufferSize];
            else if (buf != small && n < small.length) buf = small;
        }
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
