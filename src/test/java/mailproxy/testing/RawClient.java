package mailproxy.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * Connects to 127.0.0.1:port from another loopback address ({@code 127.0.0.2} ...), so
     * that the client address the proxy forwards is not its own.
     */
    public static RawClient connectFrom(String localAddress, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return new RawClient(s);
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
        byte[] raw = readRawLine();
        if (raw == null) return null;
        String s = new String(raw, StandardCharsets.ISO_8859_1);
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        return s.endsWith("\r") && raw[raw.length - 1] == '\n' ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * Reads a line with its line end, byte for byte as sent (a bare CR stays in it); the
     * rest when the stream ends without a LF; null at end of stream. Fails the test on timeout.
     */
    public byte[] readRawLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c;
            try {
                c = in.read();
            } catch (SocketTimeoutException e) {
                fail("no complete line within the timeout; got so far: '" + b.toString(StandardCharsets.ISO_8859_1) + "'");
                return null;
            }
            if (c < 0) return b.size() == 0 ? null : b.toByteArray();
            b.write(c);
            if (c == '\n') return b.toByteArray();
        }
    }

    /** Reads a line and asserts it starts with {@code prefix}; returns it. */
    public String expect(String prefix) throws IOException {
        String l = readLine();
        assertTrue(l != null && l.startsWith(prefix), "expected a line starting with '" + prefix + "', got '" + l + "'");
        return l;
    }

    /**
     * Plays a C:/S: transcript, one step a line: {@code C: text} sends the text and CRLF;
     * {@code S: text} reads a line that must be the text exactly, or only begin with it
     * when it ends in "..."; {@code S closes} wants the end of the stream. Blank lines and
     * lines starting with "#" are comments. In a text block {@code \s} keeps a trailing space.
     */
    public RawClient transcript(String transcript) throws IOException {
        int n = 0;
        for (String step : transcript.split("\n")) {
            n++;
            String where = "transcript line " + n + ": " + step;
            if (step.isBlank() || step.startsWith("#")) continue;
            if (step.equals("S closes")) {
                assertTrue(closedByPeer(), where);
            } else if (step.equals("C:") || step.startsWith("C: ")) {
                line(step.length() > 2 ? step.substring(3) : "");
            } else if (step.startsWith("S: ") && step.endsWith("...")) {
                String prefix = step.substring(3, step.length() - 3);
                String got = readLine();
                assertTrue(got != null && got.startsWith(prefix), where + "; got '" + got + "'");
            } else if (step.startsWith("S: ")) {
                assertEquals(step.substring(3), readLine(), where);
            } else {
                fail("not a transcript step: " + where);
            }
        }
        return this;
    }

    /**
     * A short dialogue of built lines: sends each line and reads a reply that must begin as
     * given, in turn (line, reply start, line, reply start, ...); {@link #transcript} is the
     * form for a written one.
     */
    public RawClient exchange(String... lineThenReplyStart) throws IOException {
        if (lineThenReplyStart.length % 2 != 0) throw new IllegalArgumentException("a reply for every line");
        for (int i = 0; i < lineThenReplyStart.length; i += 2) {
            line(lineThenReplyStart[i]);
            expect(lineThenReplyStart[i + 1]);
        }
        return this;
    }

    /** Reads one SMTP reply, all its lines (RFC 5321 §4.2.1: the last has a space after the code). */
    public List<String> smtpReply() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String l = readLine();
            assertTrue(l != null, "closed in the middle of a reply: " + lines);
            lines.add(l);
            if (l.length() < 4 || l.charAt(3) == ' ') return lines;
        }
        throw new AssertionError("reply too long: " + lines);
    }

    /** Reads a POP3 multi-line answer after its "+OK" line, up to the "." (RFC 1939 §3); its lines. */
    public List<String> pop3List() throws IOException {
        expect("+OK");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String l = readLine();
            assertTrue(l != null, "closed in the middle of a list: " + lines);
            if (l.equals(".")) return lines;
            lines.add(l);
        }
        throw new AssertionError("list too long: " + lines);
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

    /** True when nothing arrives (and the peer does not close) within the timeout. */
    public boolean silent() throws IOException {
        try {
            in.read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    /**
     * The next line when it begins within {@code millis}, else null (nothing arrived: the
     * peer is still quiet); fails the test when the peer closes instead. The usual read
     * timeout applies again afterwards.
     */
    public String lineWithin(int millis) throws IOException {
        int timeout = socket.getSoTimeout();
        int first;
        socket.setSoTimeout(millis);
        try {
            first = in.read();
        } catch (SocketTimeoutException e) {
            return null;
        } finally {
            socket.setSoTimeout(timeout);
        }
        if (first < 0) fail("closed without a line");
        if (first == '\n') return "";
        String rest = readLine();
        return (char) first + (rest == null ? "" : rest);
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
