package mailproxy.wire;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * One socket with a bounded line reader and a buffered writer: the only way the proxy
 * reads a protocol line, from a client or from a backend.
 *
 * <p>Lines are returned as ISO-8859-1 strings, one char per byte, so that any byte a
 * client sends (a UTF-8 password, a NUL) survives unchanged when written back with
 * {@link #write(String)}. Parsers treat these strings as bytes, never as text.
 *
 * <p>Bytes read past the last line stay in the buffer: a client that pipelines commands
 * behind its login gets them relayed to the backend ({@link #takeBuffered()}), and a
 * STARTTLS upgrade throws them away ({@link #discardBuffered()}, RFC 3207 §4.2).
 */
public final class Connection implements Closeable {
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
    // volatile: close() may come from another thread (the relay's other direction, a stopping server)
    private volatile Socket socket;
    private volatile InetSocketAddress remote;
    private volatile InetSocketAddress local;
    /** The TCP socket under a TLS layer; null while the connection is plain. */
    private volatile Socket tcp;
    private InputStream in;
    private OutputStream out;
    private byte[] buf;
    private int pos;
    private int lim;
    private long lineTimeoutNanos;
    private long deadline;
    /** The last line {@link #readLine} returned ended in LF alone, without the CR before it. */
    private boolean lastLineBareLf;
    /**
     * System.nanoTime() after which no line may end and no write may go on (the session's
     * limits.login-lifetime), or 0 for none; read by the watchdog too.
     */
    private volatile long lifetimeEnd;
    /** Set by {@link #watchWrites}: who closes this connection when a write stalls. */
    private volatile Watchdog watchdog;
    private volatile long writeTimeoutNanos;
    /** System.nanoTime() when the write in progress began, or 0 when none is. */
    private volatile long writingSince;
    private volatile boolean writeStalled;
    /**
     * The deadline (a System.nanoTime(), never 0) of the line read now parked on a plain
     * watched socket, or 0 when none is: the watchdog ends that read at its deadline
     * ({@link #expireReadIfLate}) so that the read needs no socket timeout.
     */
    private volatile long readingUntil;
    /** The watchdog ended a line read at its deadline: the input is shut, reads time out. */
    private volatile boolean readExpired;
    /**
     * What watches this connection's traffic (the protocol trace), or null: then every
     * read and write costs one null check more, nothing else. Set by the session's thread
     * before the traffic it should see; the relay's second thread starts after.
     */
    private Tap tap;

    /**
     * Sees the lines, literals and writes of a connection (mailproxy.trace). Called on the
     * thread doing the I/O; must not throw, must not block for long.
     */
    public interface Tap {
        /** A line was read (without its line end). */
        void lineRead(String line);

        /** {@code length} bytes of an IMAP literal were read (their content is never shown). */
        void literalRead(int length);

        /** These bytes are about to be written. */
        void written(byte[] b, int off, int len);

        /**
         * The relay read these bytes from this connection.
         *
         * @return false when the tap wants no more relayed bytes (the relay then stops asking)
         */
        boolean relayed(byte[] b, int off, int len);
    }

    /** @param initialBuffer first size of the read buffer; it grows as long lines need. */
    public Connection(Socket socket, int initialBuffer) throws IOException {
        this.ownerId = Thread.currentThread().threadId();
        this.buf = new byte[Math.max(64, initialBuffer)];
        attach(socket);
    }

    private void attach(Socket s) throws IOException {
        this.socket = s;
        // asked once: each lookup is a system call (getpeername, getsockname); the local
        // address only when asked (a backend connection never is), and a TLS layer over the
        // same TCP socket keeps it
        this.remote = (InetSocketAddress) s.getRemoteSocketAddress();
        this.in = s.getInputStream();
        this.out = s.getOutputStream();
    }

    /** Swaps the socket under this connection, e.g. for its TLS layer; buffered input must be empty. */
    public void replaceSocket(Socket upgraded) throws IOException {
        if (pos != lim) throw new IllegalStateException("buffered input across a socket swap");
        if (tcp == null) tcp = socket;
        attach(upgraded);
    }

    public Socket socket() { return socket; }

    /** Starts (or with null stops) showing this connection's traffic to {@code t}. */
    public void tap(Tap t) { this.tap = t; }

    /** The tap in place, or null. */
    public Tap tap() { return tap; }

    public InetSocketAddress remote() { return remote; }

    /**
     * The local address when the caller knows it already (a listener bound to one address
     * accepts only on that address), so {@link #local()} makes no system call for it.
     */
    public void localKnown(InetSocketAddress a) { local = a; }

    /** The local address, looked up on the first call; while the socket is open. */
    public InetSocketAddress local() {
        InetSocketAddress l = local;
        if (l == null) local = l = (InetSocketAddress) socket.getLocalSocketAddress();
        return l;
    }

    /**
     * How long a whole line (or literal) may take to arrive, and one raw read on
     * {@link #input()} may wait, before {@link java.net.SocketTimeoutException}. It is a
     * deadline per line, not per read: a client trickling one byte at a time (slowloris)
     * gets no more time than one that sends nothing.
     */
    public void readTimeout(Duration d) throws IOException {
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
    public void lifetimeEnds(long end) { lifetimeEnd = end | 1; } // never 0, which means "none"

    /** Lifts the bound of {@link #lifetimeEnds} (the login is done). */
    public void noLifetime() { lifetimeEnd = 0; }

    /** True when a lifetime is set and has passed. */
    public boolean lifetimeOver() {
        long end = lifetimeEnd;
        return end != 0 && System.nanoTime() - end >= 0;
    }

    /**
     * {@code d}, or less when the lifetime ends sooner: for a wait this class does not do
     * itself (a TLS handshake on its socket).
     *
     * @throws SocketTimeoutException the lifetime is over
     */
    public Duration withinLifetime(Duration d) throws SocketTimeoutException {
        long end = lifetimeEnd;
        if (end == 0) return d;
        long left = end - System.nanoTime();
        if (left <= 0) throw new SocketTimeoutException("lifetime over");
        // whole milliseconds, rounded up as socket timeouts are: the wait ends at the lifetime's end, not before
        return left < d.toNanos() ? Duration.ofMillis((left + 999_999) / 1_000_000) : d;
    }

    /** Reads wait as long as it takes (the relay: its idle timeout is the Watchdog's). */
    public void noReadTimeout() throws IOException {
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

    /**
     * Reads one line ended by LF (CRLF or a bare LF), without its line end.
     *
     * @param max longest line accepted, line end included
     * @return the line, or null at end of stream before any byte of a new line
     * @throws LineTooLongException when max bytes pass without a line end
     */
    public String readLine(int max) throws IOException {
        startDeadline();
        int scanned = 0;
        while (true) {
            for (int i = pos + scanned; i < lim; i++) {
                if (buf[i] == '\n') {
                    int len = i - pos + 1;
                    if (len > max) throw new LineTooLongException(max);
                    int end = i;
                    lastLineBareLf = !(end > pos && buf[end - 1] == '\r');
                    if (!lastLineBareLf) end--;
                    String line = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                    pos = i + 1;
                    if (tap != null) tap.lineRead(line);
                    return line;
                }
            }
            scanned = lim - pos;
            if (scanned >= max) throw new LineTooLongException(max);
            if (!fill()) {
                if (lim == pos) return null;
                throw new EOFException("end of stream inside a line");
            }
        }
    }

    /**
     * Whether the last line {@link #readLine} returned ended in a bare LF rather than CRLF:
     * RFC 5321 §2.3.8 knows only CRLF, and a reader that takes LF alone as a line end
     * while the next hop does not is how SMTP smuggling works (LMTP refuses such lines).
     */
    public boolean lastLineBareLf() { return lastLineBareLf; }

    /**
     * Waits until the peer has sent something (a backend's greeting), for at most
     * {@code wait}; afterwards lines take {@code readTimeout} each.
     *
     * @throws SocketTimeoutException nothing arrived in time
     * @throws EOFException the peer closed first
     */
    public void awaitInput(Duration wait, Duration readTimeout) throws IOException {
        if (pos == lim) {
            lineTimeoutNanos = wait.toNanos();
            startDeadline();
            if (!fill()) throw new EOFException("closed before sending anything");
        }
        readTimeout(readTimeout);
    }

    /** Reads exactly n bytes (an IMAP literal); the caller has checked n against its limit. */
    public byte[] readExactly(int n) throws IOException {
        startDeadline();
        byte[] result = new byte[n];
        int got = 0;
        while (got < n) {
            if (pos == lim && !fill()) throw new EOFException("end of stream inside a literal");
            int k = Math.min(n - got, lim - pos);
            System.arraycopy(buf, pos, result, got, k);
            pos += k;
            got += k;
        }
        if (tap != null) tap.literalRead(n);
        return result;
    }

    /** True when a byte is already buffered (the peer sent it without waiting). */
    public boolean hasBuffered() { return pos < lim; }

    /** Removes and returns what is buffered beyond the last line read. */
    public byte[] takeBuffered() {
        byte[] rest = Arrays.copyOfRange(buf, pos, lim);
        pos = lim = 0;
        return rest;
    }

    /**
     * Drops the line buffer (the relay reads the socket directly from here on), so an idle
     * relayed session does not hold it. Reading lines later still works: it grows again.
     */
    public void releaseBuffer() {
        if (pos != lim) throw new IllegalStateException("buffered input would be lost");
        buf = EMPTY;
        pos = lim = 0;
    }

    private static final byte[] EMPTY = new byte[0];

    /** Throws away what the peer sent ahead (RFC 3207 §4.2: nothing from before TLS counts). */
    public void discardBuffered() { pos = lim = 0; }

    private void startDeadline() {
        if (lineTimeoutNanos > 0) {
            deadline = System.nanoTime() + lineTimeoutNanos;
            long end = lifetimeEnd;
            if (end != 0 && end - deadline < 0) deadline = end;
        }
    }

    /** Compacts the buffer and reads more; false at end of stream. */
    private boolean fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        // readLine checks its limit before each fill, so growth stops near twice the limit
        if (lim == buf.length) buf = Arrays.copyOf(buf, Math.max(64, buf.length * 2));
        if (readExpired) throw lineTimedOut();
        if (lineTimeoutNanos > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw lineTimedOut();
            if (readsWatched()) return watchedRead();
            soTimeout(left);
        }
        int n = in.read(buf, lim, buf.length - lim);
        if (n < 0) return false;
        lim += n;
        return true;
    }

    /** A read without a socket timeout: the watchdog ends it at {@link #deadline}. */
    private boolean watchedRead() throws IOException {
        setSoTimeout(0);
        readingUntil = deadline == 0 ? 1 : deadline;
        int n;
        try {
            n = in.read(buf, lim, buf.length - lim);
        } finally {
            readingUntil = 0;
        }
        // the watchdog shut the input at the deadline: the end of input it gave is a timeout
        if (readExpired) throw lineTimedOut();
        if (n < 0) return false;
        lim += n;
        return true;
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
    void expireReadIfLate(long now) {
        long until = readingUntil;
        if (until == 0 || now - until < 0 || readExpired) return;
        readExpired = true;
        try {
            socket.shutdownInput();
        } catch (IOException | UnsupportedOperationException ignored) {
            // already closed: the reader wakes either way
        }
    }

    /**
     * Ends the input of a plain socket, so that a read parked on it returns end of input
     * (the relay's way to stop its other direction without an exception); the socket stays
     * open for {@link #close()}. False, doing nothing, under TLS (shutting the input under
     * a TLS layer is not a TLS end) or when the socket is closed already.
     */
    public boolean endInput() {
        if (tcp != null) return false;
        Socket s = socket;
        if (s.isClosed()) return false;
        if (s.isInputShutdown()) return true; // reads end already (the watchdog ended one)
        try {
            s.shutdownInput();
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false; // closed already: nothing parks on it
        }
    }

    /** Writes a protocol string byte for byte (ISO-8859-1) and flushes. */
    public void write(String s) throws IOException {
        write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    public void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    /**
     * Writes and flushes; with {@link #watchWrites} on, a write that has not finished after
     * the write timeout is ended by the watchdog closing the socket (then this throws).
     */
    public void write(byte[] b, int off, int len) throws IOException {
        if (tap != null) tap.written(b, off, len);
        writingSince = System.nanoTime() | 1; // never 0, which means "not writing"
        try {
            out.write(b, off, len);
            out.flush();
        } finally {
            writingSince = 0;
        }
    }

    /**
     * From now on a write that makes no progress for {@code timeout} closes this connection
     * (see {@link Watchdog}). Callable again to change the timeout, e.g. from the pre-login
     * timeout to the relay's idle timeout.
     */
    public void watchWrites(Watchdog w, Duration timeout) {
        writeTimeoutNanos = timeout.toNanos();
        if (watchdog == null) {
            watchdog = w;
            w.watch(this);
        }
    }

    /** Changes the write timeout of a watched connection. */
    public void writeTimeout(Duration timeout) { writeTimeoutNanos = timeout.toNanos(); }

    /** True when the watchdog closed this connection because a write stalled. */
    public boolean writeStalled() { return writeStalled; }

    void abortIfWriteStalled(long now) {
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

    /** Writes one line and its CRLF. */
    public void writeLine(String line) throws IOException {
        write(line + "\r\n");
    }

    public InputStream input() { return in; }

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
    @Override
    public void close() {
        Watchdog w = watchdog;
        Socket s = socket;
        Socket under = tcp;
        if (under == null || s.isClosed()) {
            if (w != null) w.unwatch(this);
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
                w.unwatch(this);
            }
            return;
        }
        if (w != null) w.unwatch(this);
        Thread.ofVirtual().name("tls close").start(() -> {
            Thread graceful = Thread.ofVirtual().name("tls close_notify").start(() -> closeQuietly(s));
            try {
                if (!graceful.join(TLS_CLOSE_WAIT)) closeQuietly(under);
            } catch (InterruptedException e) {
                closeQuietly(under);
            }
        });
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is best effort; the peer is gone either way
        }
    }
}
