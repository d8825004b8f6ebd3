package mailproxy.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import mailproxy.wire.Connection;

/**
 * A {@link Connection} whose peer sent {@code input} and then closed, and which keeps what
 * is written to it: for table tests of a parser (a line or literal in, the command and
 * any continuation out) without a socket.
 */
public final class MemoryConnection {
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final Connection connection;

    /** {@code input} as wire bytes, one char per byte (ISO-8859-1, as Connection reads them). */
    public MemoryConnection(String input) throws IOException {
        InputStream in = new ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1));
        Socket socket = new Socket() {
            @Override public InputStream getInputStream() { return in; }
            @Override public OutputStream getOutputStream() { return written; }
        };
        connection = new Connection(socket, 256);
    }

    public Connection connection() { return connection; }

    /** Everything written so far, one char per byte. */
    public String written() { return written.toString(StandardCharsets.ISO_8859_1); }

    /** {@code \r}, {@code \n} and {@code \0} of a table cell as the bytes they stand for. */
    public static String unescape(String cell) {
        return cell.replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0");
    }

    /** The inverse of {@link #unescape}, to compare with a table cell. */
    public static String escape(String bytes) {
        return bytes.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0");
    }

    /** One read of a parser: the next command, or null at the end. */
    public interface Read {
        Object next() throws IOException;
    }

    /**
     * What {@code read} returns until null, joined with " ; ", then the simple name of the
     * IOException that ended the reading, if one did; escaped like a table cell.
     */
    public static String readAll(Read read) {
        List<String> got = new ArrayList<>();
        try {
            for (Object o = read.next(); o != null; o = read.next()) got.add(o.toString());
        } catch (IOException e) {
            got.add(e.getClass().getSimpleName());
        }
        return escape(String.join(" ; ", got));
    }
}
