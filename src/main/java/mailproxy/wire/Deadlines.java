package mailproxy.wire;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * How long a {@link Connection}'s reads may take: a deadline per line (or literal), never
 * later than the lifetime's end; on a plain watched socket the {@link Watchdog} ends a read
 * past it, elsewhere the socket timeout does. The lifetime caps the writes too
 * ({@link WatchedWrites#abortIfWriteStalled}). A part of {@link Connection}
 * (see {@link ConnectionSocket}).
 */
abstract sealed class Deadlines extends ConnectionSocket permits WatchedWrites {
    private long lineTimeoutNanos;
    private long deadline;
    /**
     * System.nanoTime() after which no line may end and no write may go on (the session's
     * limits.login-lifetime), or 0 for none; read by the watchdog too.
     */
    volatile long lifetimeEnd;
    /**
     * The deadline (a System.nanoTime(), never 0) of the line read now parked on a plain
     * watched socket, or 0 when none is: the watchdog ends that read at its deadline
     * ({@link #expireReadIfLate}) so that the read needs no socket timeout.
     */
    private volatile long readingUntil;
    /** The watchdog ended a line read at its deadline: the input is shut, reads time out. */
    private volatile boolean readExpired;

    Deadlines(Socket socket) throws IOException {
        super(socket);
    }

    /**
     * How long a whole line (or literal) may take to arrive, and one raw read on
     * {@link #input()} may wait, before {@link java.net.SocketTimeoutException}. It is a
     * deadline per line, not per read: a client trickling one byte at a time (slowloris)
     * gets no more time than one that sends nothing.
     */
    public final void readTimeout(Duration d) throws IOException {
        lineTimeoutNanos = d.toNanos();
        soTimeout(lineTimeoutNanos);
    }

    /**
     * From now on no line (or literal) read may end after {@code end} (a System.nanoTime()):
     * each line's deadline is the sooner of its own and this one, and the watchdog ends a
     * write begun before it and still under way after it. One bound for a whole phase of a
     * session that per-line timeouts alone would let a busy peer stretch forever
     * (docs/ARCHITECTURE.md, "Every read and every write is bounded").
     */
    public final void lifetimeEnds(long end) { lifetimeEnd = end | 1; } // never 0, which means "none"

    /** Lifts the bound of {@link #lifetimeEnds} (the login is done). */
    public final void noLifetime() { lifetimeEnd = 0; }

    /** True when a lifetime is set and has passed. */
    public final boolean lifetimeOver() {
        long end = lifetimeEnd;
        return end != 0 && System.nanoTime() - end >= 0;
    }

    /**
     * {@code d}, or less when the lifetime ends sooner: for a wait this class does not do
     * itself (a TLS handshake on its socket).
     *
     * @throws SocketTimeoutException the lifetime is over
     */
    public final Duration withinLifetime(Duration d) throws SocketTimeoutException {
        long end = lifetimeEnd;
        if (end == 0) return d;
        long left = end - System.nanoTime();
        if (left <= 0) throw new SocketTimeoutException("lifetime over");
        // whole milliseconds, rounded up as socket timeouts are: the wait ends at the lifetime's end, not before
        return left < d.toNanos() ? Duration.ofMillis((left + 999_999) / 1_000_000) : d;
    }

    /** Reads wait as long as it takes (the relay: its idle timeout is the Watchdog's). */
    public final void noReadTimeout() throws IOException {
        lineTimeoutNanos = 0;
        setSoTimeout(0);
    }

    private void soTimeout(long nanos) throws IOException {
        // rounded up: a read times out at its deadline, never before it (lifetimeOver() then agrees)
        long ms = (nanos + 999_999) / 1_000_000;
        setSoTimeout(ms > Integer.MAX_VALUE ? 0 : (int) Math.max(1, ms));
    }

    private void setSoTimeout(int ms) throws IOException {
        // a field of the JDK's socket, no system call; a raw read on input() still uses it
        socket.setSoTimeout(ms);
    }

    /**
     * Whether line reads are bounded by the watchdog rather than by a socket timeout: a
     * virtual thread's timed read schedules and cancels a timer task on every park, about a
     * sixth of a short plain connection's CPU (bench/RESULTS.md, "Issue 22"). Only on a
     * plain socket: ending a read there shuts the socket's input and leaves its output, so
     * the session can still send its timeout reply; under a TLS layer that would break the
     * TLS connection, and its reads keep the socket timeout.
     */
    private boolean readsWatched() { return watchdog != null && tcp == null; }

    /** The next read (a backend's greeting) gets {@code wait}, not the line timeout. */
    final void startDeadline(Duration wait) {
        lineTimeoutNanos = wait.toNanos();
        startDeadline();
    }

    /** A line (or literal) begins: its deadline is the line timeout from now, or the lifetime's end if sooner. */
    final void startDeadline() {
        if (lineTimeoutNanos > 0) {
            deadline = System.nanoTime() + lineTimeoutNanos;
            long end = lifetimeEnd;
            if (end != 0 && end - deadline < 0) deadline = end;
        }
    }

    /**
     * One read for the line (or literal) under way, ended at its deadline.
     *
     * @return the bytes read, or -1 at end of stream
     */
    final int readBeforeDeadline(byte[] b, int off, int len) throws IOException {
        if (readExpired) throw lineTimedOut();
        if (lineTimeoutNanos > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw lineTimedOut();
            if (readsWatched()) return watchedRead(b, off, len);
            soTimeout(left);
        }
        return in.read(b, off, len);
    }

    /** A read without a socket timeout: the watchdog ends it at {@link #deadline}. */
    private int watchedRead(byte[] b, int off, int len) throws IOException {
        setSoTimeout(0);
        readingUntil = deadline == 0 ? 1 : deadline;
        int n;
        try {
            n = in.read(b, off, len);
        } finally {
            readingUntil = 0;
        }
        // the watchdog shut the input at the deadline: the end of input it gave is a timeout
        if (readExpired) throw lineTimedOut();
        return n;
    }

    private SocketTimeoutException lineTimedOut() {
        return new SocketTimeoutException(lifetimeOver() ? "lifetime over"
                : "line not complete within " + Duration.ofNanos(lineTimeoutNanos));
    }

    /**
     * The watchdog's look at a line read: one still parked after its deadline is ended by
     * shutting the socket's input, which wakes the reader with an end of input that
     * {@link #watchedRead} turns into a {@link SocketTimeoutException}; the output stays
     * open for the timeout reply. A read that returned just as its deadline passed may be
     * seen late: then the next read times out at once, which is what its deadline says.
     */
    final void expireReadIfLate(long now) {
        long until = readingUntil;
        if (until == 0 || now - until < 0 || readExpired) return;
        readExpired = true;
        try {
            socket.shutdownInput();
        } catch (IOException | UnsupportedOperationException ignored) {
            // already closed: the reader wakes either way
        }
    }
}
