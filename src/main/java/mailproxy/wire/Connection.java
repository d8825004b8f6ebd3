package mailproxy.wire;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
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
 *
 * <p>This class is the buffer, the lines and the writes; the rest is in its parts, one
 * object with it: the socket and its TLS layer ({@link ConnectionSocket}), the deadline of
 * each line and the lifetime ({@link Deadlines}), what the watchdog does to a stalled write
 * and the close ({@link WatchedWrites}).
 */
public final class Connection extends WatchedWrites implements Closeable {
    private byte[] buf;
    private int pos;
    private int lim;
    /** The last line {@link #readLine} returned ended in LF alone, without the CR before it. */
    private boolean lastLineBareLf;
    /**
     * What watches this connection's traffic (the protocol trace), or null: then every
     * read and write costs one null check more, nothing else. Set by the session's thread
     * before the traffic it should see; the relay's second thread starts after.
     */
    private Tap tap;
    /** See {@link #writeBrokeOff()}. */
    private boolean writeBrokeOff;

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
        super(socket);
        this.buf = new byte[Math.max(64, initialBuffer)];
    }

    /** Swaps the socket under this connection, e.g. for its TLS layer; buffered input must be empty. */
    public void replaceSocket(Socket upgraded) throws IOException {
        if (pos != lim) throw new IllegalStateException("buffered input across a socket swap");
        layer(upgraded);
    }

    /** Starts (or with null stops) showing this connection's traffic to {@code t}. */
    public void tap(Tap t) { this.tap = t; }

    /** The tap in place, or null. */
    public Tap tap() { return tap; }

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
     * @throws java.net.SocketTimeoutException nothing arrived in time
     * @throws EOFException the peer closed first
     */
    public void awaitInput(Duration wait, Duration readTimeout) throws IOException {
        if (pos == lim) {
            startDeadline(wait);
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

    /** Compacts the buffer and reads more, within the line's deadline; false at end of stream. */
    private boolean fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        // readLine checks its limit before each fill, so growth stops near twice the limit
        if (lim == buf.length) buf = Arrays.copyOf(buf, Math.max(64, buf.length * 2));
        int n = readBeforeDeadline(buf, lim, buf.length - lim);
        if (n < 0) return false;
        lim += n;
        return true;
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
        } catch (RuntimeException | Error e) {
            writeBrokeOff = true;
            throw e;
        } finally {
            writingSince = 0;
        }
    }

    /**
     * Whether a bug (a RuntimeException or Error, not an I/O failure) broke off one of this
     * connection's writes: the peer may then hold part of its bytes, and a line written
     * after them would be read as their end (session.InternalErrorReply keeps quiet then).
     * On the thread that writes.
     */
    public boolean writeBrokeOff() { return writeBrokeOff; }

    /** Writes one line and its CRLF. */
    public void writeLine(String line) throws IOException {
        write(line + "\r\n");
    }
}
