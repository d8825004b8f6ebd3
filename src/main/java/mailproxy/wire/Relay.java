package mailproxy.wire;

import java.io.IOException;
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
 * the other direction. A {@link #kick} ends it on the proxy's initiative ({@link RelayKick}).
 *
 * <p>Each direction is a {@link RelayPump}: the copy loop and its buffers.
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
        RELAY_ERROR,
        /** The proxy closed it on purpose ({@link #kick}): an operator's move or drain. */
        KICKED
    }

    private final Connection client;
    private final Connection backend;
    private final long idleNanos;
    /** The largest buffer a direction reads into ({@link RelayPump#pump}). */
    final int bufferSize;
    /** When either direction last carried a byte: the idle clock {@link #expireIfIdle} reads. */
    final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
    private final AtomicLong upBytes = new AtomicLong();
    private final AtomicLong downBytes = new AtomicLong();
    private final CountDownLatch downDone = new CountDownLatch(1);
    private final Duration halfCloseTimeout;
    private final Watchdog sweeper;
    private LongConsumer upMeter;
    private LongConsumer downMeter;
    private volatile End upEnd;
    private volatile boolean expired;
    /** Where the backend's responses end (null: the protocol has no line to kick with). */
    private ResponseEnds ends;
    /** Set once, by the first {@link #kick}. */
    private volatile RelayKick kick;

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

    /**
     * Follow where the backend's responses end, so that a {@link #kick}'s line lands between
     * two of them; set before {@link #run}.
     */
    public Relay responses(ResponseEnds.Syntax syntax) {
        this.ends = syntax == null ? null : new ResponseEnds(syntax);
        return this;
    }

    /**
     * Ends the relay on the proxy's initiative (README, "Moving users"), from any thread;
     * only the first call counts. The backend-to-client direction stops first, at the end of
     * the response it is carrying ({@link ResponseEnds}; the backend is closed at once when
     * it is between two), then {@code line} goes to the client and both sides close, so the
     * line never lands inside a response. Without {@link #responses} or with an empty line,
     * both sides close at once. A response that does not end within {@code wait} is cut:
     * both sides close without the line.
     *
     * @param backendClosed run on the relay's thread once the backend is closed, before the
     *                      line goes out (the session gives its place on the server back there,
     *                      so that the reconnect the line asks for finds it given back)
     */
    public void kick(byte[] line, Duration wait, Runnable backendClosed) {
        if (kick != null) return;
        RelayKick k = new RelayKick(line, wait, backendClosed);
        kick = k;
        if (ends == null || !k.hasLine()) {
            closeBoth();
        } else if (ends.atEnd()) {
            // between two responses, most likely waiting for the next: wake that read
            backend.close();
        }
    }

    /** Whether {@link #kick} was called: the backend-to-client direction then stops at a response's end. */
    boolean kickAsked() { return kick != null; }

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
        if (kick != null) return kickedBeforeStart();
        try {
            client.watchWrites(sweeper, Duration.ofNanos(idleNanos));
            backend.watchWrites(sweeper, Duration.ofNanos(idleNanos));
            if (early.length > 0) {
                RelayPump.show(client, early);
                backend.write(early);
            }
            if (earlyReplies.length > 0) {
                RelayPump.show(backend, earlyReplies);
                if (ends != null) ends.feed(earlyReplies, 0, earlyReplies.length, false);
                client.write(earlyReplies);
            }
            client.noReadTimeout();
            backend.noReadTimeout();
        } catch (IOException e) {
            if (kick != null) return kickedBeforeStart(); // the kick closed the backend under these writes
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
        boolean clientOpen = false;
        try {
            RelayPump.pump(this, backend, client, downBytes, downMeter, ends);
            end = kick != null ? kick.farewell(client, backend, ends) : upEnd == null ? End.BACKEND_CLOSED : End.CLIENT_CLOSED;
        } catch (IOException e) {
            end = kick != null ? kick.farewell(client, backend, ends)
                    : expired ? End.IDLE_TIMEOUT : stalled() ? End.WRITE_STALLED : upEnd == null ? End.BACKEND_ERROR : upEnd;
        } finally {
            sweeper.remove(this);
            downDone.countDown();
            // The other direction most likely waits in a read of the client. On a plain
            // socket an end of input wakes it, and it returns; a close under its read would
            // wake it with a SocketException, one per session (bench/RESULTS.md, "Issue 22
            // ... third pass"). The client is closed once it has: the backend's close has
            // ended any write of its to the backend, so the wait is short.
            backend.close();
            clientOpen = client.endInput();
            if (!clientOpen) client.close();
        }
        try {
            up.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (clientOpen) client.close();
        }
        return new Result(upBytes.get(), downBytes.get(), end);
    }

    /** A kick that came before the relay started (a login that finished meanwhile): the line, then the close. */
    private Result kickedBeforeStart() {
        kick.beforeStart(client, backend, ends, sweeper, Duration.ofNanos(idleNanos));
        closeBoth();
        return new Result(0, 0, End.KICKED);
    }

    private boolean stalled() {
        return client.writeStalled() || backend.writeStalled();
    }

    private void clientToBackend() {
        try {
            RelayPump.pump(this, client, backend, upBytes, upMeter, null);
            // the backend's side ended first and ended this read too: nothing to half-close
            if (downDone.getCount() == 0) return;
            upEnd = End.CLIENT_CLOSED;
            halfClose(backend.socket());
            // The backend may still answer (a LOGOUT's BYE), but one that keeps its side
            // open after our FIN must not hold the session until proxy-timeout.
            if (!downDone.await(halfCloseTimeout.toMillis(), TimeUnit.MILLISECONDS)) closeBoth();
        } catch (InterruptedException e) {
            closeBoth();
        } catch (IOException e) {
            // a kick closed the backend under this direction's write: the other direction
            // still owes the client the kick's line, and closes both once it is written
            if (kick != null) return;
            upEnd = expired ? End.IDLE_TIMEOUT : stalled() ? End.WRITE_STALLED : End.CLIENT_ERROR;
            closeBoth();
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
        RelayKick k = kick;
        if (k != null && k.overdue(now)) {
            closeBoth(); // a kick whose response did not end in time: cut without the line
            return;
        }
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
