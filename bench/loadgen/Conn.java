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
    private static final SSLContext TLS = trustAll(64);
    // tls-resume: one peer name per worker, so each worker resumes its own last session
    // (the JDK's client cache is keyed by host:port; a TLS 1.3 ticket is used once).
    private static final SSLContext RESUMING = trustAll(4096);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    // Grows up to MAX_LINE: thousands of held connections must not cost 64 KB each here
    // (the load generator's own heap and GC would then weigh on the figures it measures).
    private byte[] lineBuf = new byte[256];
    private final boolean resumed;

    private Conn(Socket socket, boolean resumed) throws IOException {
        this.socket = socket;
        this.resumed = resumed;
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
        return open(target, source, tls, timeoutMs, null, null);
    }

    /**
     * As above; with {@code resumeAs} (a peer name) the TLS session of the previous
     * connection under that name is offered for resumption (TLS 1.3 ticket, TLS 1.2 session
     * id or ticket); {@code protocol} (e.g. TLSv1.2) limits the TLS version, null: the JDK's.
     */
    static Conn open(InetSocketAddress target, InetSocketAddress source, boolean tls, int timeoutMs,
                     String resumeAs, String protocol) throws IOException {
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
                String peer = resumeAs != null ? resumeAs : "s" + TLS_SEQ.incrementAndGet() + ".bench.invalid";
                SSLContext ctx = resumeAs != null ? RESUMING : TLS;
                SSLSocket t = (SSLSocket) ctx.getSocketFactory().createSocket(s, peer, target.getPort(), true);
                if (protocol != null) t.setEnabledProtocols(new String[] {protocol});
                t.setSoTimeout(timeoutMs);
                long before = System.currentTimeMillis();
                t.startHandshake();
                // A resumed session is the cached one (TLS 1.2), or carries its creation time
                // (TLS 1.3 PSK): older than this handshake. A new one is created during it.
                return new Conn(t, t.getSession().getCreationTime() < before);
            }
            return new Conn(s, false);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Whether the TLS handshake resumed an earlier session (false for plain). */
    boolean resumed() {
        return resumed;
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

    private static SSLContext trustAll(int cacheSize) {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            TrustManager tm = new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
                @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            };
            c.init(null, new TrustManager[] {tm}, null);
            // Unique peer names prevent resumption in TLS; keep its cache from growing.
            c.getClientSessionContext().setSessionCacheSize(cacheSize);
            return c;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
