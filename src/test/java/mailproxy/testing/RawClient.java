package mailproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A raw socket peer for C:/S: transcripts: byte-exact writes, line reads with a timeout.
 * Used as a client of the proxy, and (wrapped around an accepted socket) as a fake backend.
 * Strings are bytes as ISO-8859-1 chars.
 */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static RawClient connect(InetSocketAddress a) throws IOException {
        Socket s = new Socket();
        s.connect(a, 5000);
        return new RawClient(s);
    }

    public static RawClient connect(int port) throws IOException {
        return connect(new InetSocketAddress("127.0.0.1", port));
    }

    public Socket socket() { return socket; }

    public RawClient timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    /** Sends bytes as they are (no CRLF added). */
    public RawClient send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    public RawClient send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    /** Sends one line plus CRLF. */
    public RawClient line(String line) throws IOException {
        return send(line + "\r\n");
    }

    /** Reads a line without its CRLF; fails the test on timeout; null at end of stream. */
    public String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c;
            try {
                c = in.read();
            } catch (SocketTimeoutException e) {
                fail("no complete line within the timeout; got so far: '" + b.toString(StandardCharsets.ISO_8859_1) + "'");
                return null;
            }
            if (c < 0) return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
    }

    /** Reads a line and asserts it starts with {@code prefix}; returns it. */
    public String expect(String prefix) throws IOException {
        String l = readLine();
        assertTrue(l != null && l.startsWith(prefix), "expected a line starting with '" + prefix + "', got '" + l + "'");
        return l;
    }

    /** Reads exactly n bytes. */
    public byte[] readBytes(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) fail("stream ended after " + b.length + " of " + n + " bytes");
        return b;
    }

    /** True when the peer closes (or resets) within the timeout without sending anything more. */
    public boolean closedByPeer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset counts as closed
        }
    }

    /** Reads until the peer closes; what came before. */
    public String readToEnd() throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
