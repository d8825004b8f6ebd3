package mailproxy.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
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
 * most {@code halfCloseTimeout}; the backend closes → the session is over and both sockets are closed. No byte in either
 * direction for {@code idleTimeout} closes both (nginx's proxy_timeout). A read error on
 * either side closes both, which also wakes the other direction.
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
    private final CountDownLatch downDone = new CountDownLatch(1);
    private final Duration halfCloseTimeout;
    private volatile String upEnd = "";

    public Relay(Connection client, Connection backend, Duration idleTimeout, Duration halfCloseTimeout, int bufferSize) {
        this.halfCloseTimeout = halfCloseTimeout;
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
            client.readTimeout(Duration.ofNanos(idleNanos));
            backend.readTimeout(Duration.ofNanos(idleNanos));
        } catch (IOException e) {
            closeBoth();
            return new Result(early.length, earlyReplies.length, "relay-error");
        }
        upBytes.addAndGet(early.length);
        Thread up = Thread.ofVirtual().name(threadName + " up").start(this::clientToBackend);
        long down = earlyReplies.length;
        String outcome;
        try {
            down += pump(backend.input(), client.output(), null);
            outcome = upEnd.isEmpty() ? "backend-closed" : "client-closed";
        } catch (IdleException e) {
            outcome = "idle-timeout";
        } catch (IOException e) {
            outcome = upEnd.isEmpty() ? "backend-error" : upEnd;
        } finally {
            downDone.countDown();
            closeBoth();
        }
        try {
            up.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Result(upBytes.get(), down, outcome);
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
        } catch (IdleException e) {
            upEnd = "idle-timeout";
            closeBoth();
        } catch (IOException e) {
            upEnd = "client-error";
            closeBoth();
        }
    }

    /**
     * Copies until end of stream; returns the byte count.
     *
     * <p>An idle session should cost almost nothing, and most relayed sessions are idle
     * (IMAP IDLE, clients parked between polls). So a direction waits on a small buffer,
     * switches to a {@code bufferSize} one when a read fills the small one (a FETCH, a
     * DATA), and drops it again once reads come back small: the big buffer lives only
     * while bytes are flowing.
     */
    private long pump(InputStream from, OutputStream to, AtomicLong counter) throws IOException {
        byte[] small = new byte[Math.min(IDLE_BUFFER, bufferSize)];
        byte[] buf = small;
        long total = 0;
        while (true) {
            int n;
            try {
                n = from.read(buf);
            } catch (SocketTimeoutException e) {
                // The other direction may have been busy all along: idle means both quiet.
                if (System.nanoTime() - lastActivity.get() >= idleNanos) throw new IdleException();
                continue;
            }
            if (n < 0) return total;
            lastActivity.set(System.nanoTime());
            to.write(buf, 0, n);
            to.flush();
            total += n;
            if (counter != null) counter.addAndGet(n);
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

    private void closeBoth() {
        client.close();
        backend.close();
    }

    private static final class IdleException extends IOException {
        IdleException() {
            super("idle timeout");
        }
    }
}
