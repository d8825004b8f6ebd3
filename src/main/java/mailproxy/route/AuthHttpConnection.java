package mailproxy.route;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

/** One socket to the auth server and its read buffer; every read waits at most until the deadline. */
final class AuthHttpConnection {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[4096];
    private int pos;
    private int lim;
    boolean reused;
    boolean gotBytes;
    long idleSince;

    private AuthHttpConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static AuthHttpConnection open(String host, int port, long deadline) throws IOException {
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) throw new UnknownHostException(host);
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(a, remainingMillis(deadline));
            return new AuthHttpConnection(s);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long ms = (deadline - System.nanoTime()) / 1_000_000;
        if (ms <= 0) throw new SocketTimeoutException("auth server did not answer in time");
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    private boolean fill(long deadline) throws IOException {
        socket.setSoTimeout(remainingMillis(deadline));
        int n = in.read(buf, 0, buf.length);
        if (n < 0) return false;
        pos = 0;
        lim = n;
        gotBytes = true;
        return true;
    }

    /** A line without CRLF (ISO-8859-1); null at end of stream before any byte of it. */
    String readLine(long deadline) throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            if (pos == lim && !fill(deadline)) {
                if (line.isEmpty()) return null;
                throw new EOFException("auth server closed inside a line");
            }
            while (pos < lim) {
                char ch = (char) (buf[pos++] & 0xff);
                if (ch == '\n') {
                    int end = line.length();
                    if (end > 0 && line.charAt(end - 1) == '\r') line.setLength(end - 1);
                    return line.toString();
                }
                if (line.length() >= AuthHttpClient.MAX_LINE) {
                    throw new AuthHttpClient.MalformedResponseException("line longer than " + AuthHttpClient.MAX_LINE);
                }
                line.append(ch);
            }
        }
    }

    void skip(long n, long deadline) throws IOException {
        while (n > 0) {
            if (pos == lim && !fill(deadline)) throw new EOFException("auth server closed inside the body");
            int k = (int) Math.min(n, lim - pos);
            pos += k;
            n -= k;
        }
    }

    void write(byte[] request) throws IOException {
        out.write(request);
        out.flush();
    }

    /** Bytes received beyond what was read: the stream is out of step with the requests. */
    boolean hasBuffered() {
        return pos < lim;
    }

    void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // best effort: the server side is gone or going
        }
    }
}
