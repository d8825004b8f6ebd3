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
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private byte[] buf;
    private int pos;
    private int lim;
    private long lineTimeoutNanos;
    private long deadline;

    /** @param initialBuffer first size of the read buffer; it grows as long lines need. */
    public Connection(Socket socket, int initialBuffer) throws IOException {
        this.buf = new byte[Math.max(64, initialBuffer)];
        attach(socket);
    }

    private void attach(Socket s) throws IOException {
        this.socket = s;
        this.in = s.getInputStream();
        this.out = s.getOutputStream();
    }

    /** Swaps the socket under this connection, e.g. for its TLS layer; buffered input must be empty. */
    public void replaceSocket(Socket upgraded) throws IOException {
        if (pos != lim) throw new IllegalStateException("buffered input across a socket swap");
        attach(upgraded);
    }

    public Socket socket() { return socket; }

    public InetSocketAddress remote() { return (InetSocketAddress) socket.getRemoteSocketAddress(); }

    public InetSocketAddress local() { return (InetSocketAddress) socket.getLocalSocketAddress(); }

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

    private void soTimeout(long nanos) throws IOException {
        long ms = nanos / 1_000_000;
        socket.setSoTimeout(ms > Integer.MAX_VALUE ? 0 : (int) Math.max(1, ms));
    }

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
                    if (end > pos && buf[end - 1] == '\r') end--;
                    String line = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                    pos = i + 1;
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
        if (lineTimeoutNanos > 0) deadline = System.nanoTime() + lineTimeoutNanos;
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
        if (lineTimeoutNanos > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("line not complete within " + Duration.ofNanos(lineTimeoutNanos));
            soTimeout(left);
        }
        int n = in.read(buf, lim, buf.length - lim);
        if (n < 0) return false;
        lim += n;
        return true;
    }

    /** Writes a protocol string byte for byte (ISO-8859-1) and flushes. */
    public void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    public void write(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** Writes one line and its CRLF. */
    public void writeLine(String line) throws IOException {
        write(line + "\r\n");
    }

    public InputStream input() { return in; }

    public OutputStream output() { return out; }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort; the peer is gone either way
        }
    }
}
