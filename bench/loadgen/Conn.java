package loadgen;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** One client connection: plain or implicit TLS, bounded line reads, counted literal reads. */
final class Conn implements Closeable {
    static final int MAX_LINE = 64 * 1024;
    private static final AtomicLong TLS_SEQ = new AtomicLong();
    private static final SSLContext TLS = trustAll();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    // Grows up to MAX_LINE: thousands of held connections must not cost 64 KB each here
    // (the load generator's own heap and GC would then weigh on the figures it measures).
    private byte[] lineBuf = new byte[256];

    private Conn(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    /**
     * Connects from {@code source} (null: the kernel picks) with a socket timeout. With TLS
     * every connection makes a full handshake: each gets its own peer name, so the JDK's
     * client session cache never offers a session to resume (keyed by host:port).
     */
    static Conn open(InetSocketAddress target, InetSocketAddress source, boolean tls, int timeoutMs)
            throws IOException {
        Socket s = new Socket();
        try {
            if (source != null) {
                s.setReuseAddress(true);
                s.bind(source);
            }
            s.setTcpNoDelay(true);
            s.setSoTimeout(timeoutMs);
            s.connect(target, timeoutMs);
            if (tls) {
                String peer = "s" + TLS_SEQ.incrementAndGet() + ".bench.invalid";
                SSLSocket t = (SSLSocket) TLS.getSocketFactory().createSocket(s, peer, target.getPort(), true);
                t.setSoTimeout(timeoutMs);
                t.startHandshake();
                return new Conn(t);
            }
            return new Conn(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A line without CRLF (ISO-8859-1, one char per byte); EOF is an error. */
    String line() throws IOException {
        int n = 0;
        while (true) {
            int b = in.read();
            if (b < 0) throw new EOFException("connection closed by peer" + (n > 0 ? " mid-line" : ""));
            if (b == '\n') break;
            if (n == MAX_LINE) throw new IOException("line longer than " + MAX_LINE);
            if (n == lineBuf.length) lineBuf = java.util.Arrays.copyOf(lineBuf, Math.min(MAX_LINE, n * 4));
            lineBuf[n++] = (byte) b;
        }
        if (n > 0 && lineBuf[n - 1] == '\r') n--;
        return new String(lineBuf, 0, n, StandardCharsets.ISO_8859_1);
    }

    /** Reads and drops exactly n bytes (a literal body) into scratch. */
    void skip(long n, byte[] scratch) throws IOException {
        while (n > 0) {
            int r = in.read(scratch, 0, (int) Math.min(scratch.length, n));
            if (r < 0) throw new EOFException("connection closed inside a literal");
            n -= r;
        }
    }

    void send(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** True when the peer has closed (EOF) within the socket timeout. */
    boolean closedByPeer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private static SSLContext trustAll() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            TrustManager tm = new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
                @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            };
            c.init(null, new TrustManager[] {tm}, null);
            // Unique peer names already prevent resumption; keep the cache from growing.
            c.getClientSessionContext().setSessionCacheSize(64);
            return c;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
