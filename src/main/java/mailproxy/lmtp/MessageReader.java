package mailproxy.lmtp;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import mailproxy.config.LmtpOptions.BareNewline;
import mailproxy.wire.Connection;

/**
 * Reads one message after the 354, up to CRLF "." CRLF (RFC 5321 §4.1.1.4). The message
 * is kept dot-stuffed, exactly as the client sent it (§4.5.2): every backend speaks the
 * same transparency rule, so the bytes go on unchanged, and the proxy adds the terminating
 * ".\r\n" itself. Past {@code max} bytes the rest is read and dropped, so the client stays
 * in step and gets 552.
 *
 * <p>Lines end in CRLF and nothing else (§2.3.8). A "." line ends the message only when
 * both it and the line before it end in CRLF: "&lt;LF&gt;.&lt;LF&gt;", "&lt;LF&gt;.&lt;CR&gt;&lt;LF&gt;"
 * and the like are text, or an MTA that passes them on unstuffed would have its message
 * split here into two, the second with an envelope it never checked (SMTP smuggling,
 * CVE-2023-51764). A bare LF or CR is refused (the rest of the message is read and
 * dropped) or, with {@link BareNewline#NORMALIZE}, turned into CRLF, a line that begins
 * after it with its "." stuffed, so that no backend sees an end of data the proxy did not.
 */
final class MessageReader {
    /** Bytes gathered before one write to the sink. */
    static final int CHUNK = 64 * 1024;

    private MessageReader() {}

    /**
     * What reading the message found.
     *
     * @param bareNewline a bare LF or CR was refused: nothing after it reached the sink
     */
    record Result(long size, boolean oversize, boolean bareNewline, IOException sinkFailure) {
        /** Whether the sink has the whole message. */
        boolean whole() { return !oversize && !bareNewline && sinkFailure == null; }
    }

    /**
     * @param maxLine lmtp-line-length: a longer line ends the session (LineTooLongException)
     * @param sink    gets the message in chunks until it fails once, the size passes {@code max},
     *                or (with reject) a bare line end comes
     */
    static Result read(Connection client, int maxLine, long max, BareNewline policy, Spool.Sink sink) throws IOException {
        Chunks out = new Chunks(sink);
        long size = 0;
        boolean bare = false;
        // the DATA command's line end counts as CRLF (a bare LF there was refused, or taken
        // as CRLF): a "." right away ends an empty message
        boolean afterCrlf = true;
        while (true) {
            String line = client.readLine(maxLine);
            if (line == null) throw new EOFException("client closed the connection inside DATA");
            boolean bareLf = client.lastLineBareLf();
            if (afterCrlf && !bareLf && line.equals(".")) break;
            boolean clean = !bareLf && line.indexOf('\r') < 0;
            if (!clean && policy == BareNewline.REJECT) bare = true;
            long n = line.length() + 2;
            if (bare || out.failure != null || size + n > max) {
                size += n;
            } else {
                size += clean ? out.line(line, false) : normalized(out, line, afterCrlf);
            }
            afterCrlf = !bareLf;
        }
        if (size > max) return new Result(size, true, bare, null);
        if (bare) return new Result(size, false, true, null);
        return new Result(size, false, false, out.flush());
    }

    /**
     * A line with bare CRs in it (and maybe a bare LF after it) as CRLF lines. A piece that
     * does not begin after a CRLF was not stuffed by the client, so its leading "." is;
     * a lone "." is stuffed always: it is text here, and must be text at the backend too.
     */
    private static long normalized(Chunks out, String line, boolean afterCrlf) {
        long n = 0;
        int from = 0;
        boolean first = true;
        while (true) {
            int cr = line.indexOf('\r', from);
            String piece = line.substring(from, cr < 0 ? line.length() : cr);
            boolean stuff = piece.equals(".") || (piece.startsWith(".") && !(first && afterCrlf));
            n += out.line(piece, stuff);
            if (cr < 0) return n;
            from = cr + 1;
            first = false;
        }
    }

    /** The sink's side: lines gathered into chunks; the first failure stops further writes. */
    private static final class Chunks {
        private final Spool.Sink sink;
        private byte[] chunk = new byte[CHUNK];
        private int fill;
        IOException failure;

        Chunks(Spool.Sink sink) {
            this.sink = sink;
        }

        /** One line and its CRLF, with a "." before it if {@code stuff}; the bytes it takes. */
        int line(String line, boolean stuff) {
            int n = line.length() + 2 + (stuff ? 1 : 0);
            if (failure != null) return n;
            if (fill + n > chunk.length) {
                flush();
                if (n > chunk.length) chunk = new byte[n];
            }
            if (stuff) chunk[fill++] = '.';
            for (int i = 0; i < line.length(); i++) chunk[fill + i] = (byte) line.charAt(i); // ISO-8859-1 chars are the bytes
            fill += line.length();
            chunk[fill++] = '\r';
            chunk[fill++] = '\n';
            return n;
        }

        /** Writes what is gathered; the sink's failure, or null. */
        IOException flush() {
            if (failure == null && fill > 0) {
                try {
                    sink.write(chunk, 0, fill);
                } catch (IOException e) {
                    failure = e;
                }
            }
            fill = 0;
            return failure;
        }
    }

    /** The terminator the proxy writes after the message (RFC 5321 §4.1.1.4). */
    static final byte[] END = ".\r\n".getBytes(StandardCharsets.US_ASCII);
}
