package mailproxy.lmtp;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import mailproxy.wire.Connection;

/**
 * Reads one message after the 354, up to the line holding only "." (RFC 5321 §4.1.1.4).
 * The message is kept dot-stuffed, exactly as the client sent it (§4.5.2): every backend
 * speaks the same transparency rule, so the bytes go on unchanged, and the proxy adds the
 * terminating ".\r\n" itself. Lines end in CRLF; a bare LF line end (§2.3.8 forbids it)
 * is passed on as CRLF. Past {@code max} bytes the rest is read and dropped, so the
 * client stays in step and gets 552.
 */
final class MessageReader {
    /** Bytes gathered before one write to the sink. */
    static final int CHUNK = 64 * 1024;

    private MessageReader() {}

    /** What reading the message found. */
    record Result(long size, boolean oversize, IOException sinkFailure) {}

    /**
     * @param maxLine lmtp-line-length: a longer line ends the session (LineTooLongException)
     * @param sink    gets the message in chunks until it fails once or the size passes {@code max}
     */
    static Result read(Connection client, int maxLine, long max, Spool.Sink sink) throws IOException {
        byte[] chunk = new byte[CHUNK];
        int fill = 0;
        long size = 0;
        IOException failure = null;
        while (true) {
            String line = client.readLine(maxLine);
            if (line == null) throw new EOFException("client closed the connection inside DATA");
            if (line.equals(".")) break;
            int n = line.length() + 2;
            size += n;
            if (size > max || failure != null) continue;
            if (fill + n > chunk.length) {
                failure = flush(sink, chunk, fill);
                fill = 0;
                if (n > chunk.length) chunk = new byte[n];
            }
            for (int i = 0; i < line.length(); i++) chunk[fill + i] = (byte) line.charAt(i); // ISO-8859-1 chars are the bytes
            chunk[fill + n - 2] = '\r';
            chunk[fill + n - 1] = '\n';
            fill += n;
        }
        if (size <= max && failure == null && fill > 0) failure = flush(sink, chunk, fill);
        return new Result(size, size > max, failure);
    }

    private static IOException flush(Spool.Sink sink, byte[] chunk, int fill) {
        try {
            sink.write(chunk, 0, fill);
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /** The terminator the proxy writes after the message (RFC 5321 §4.1.1.4). */
    static final byte[] END = ".\r\n".getBytes(StandardCharsets.US_ASCII);
}
