package mailproxy.tls;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** Shared by server and client: protocol and cipher checks, layering, the timed handshake. */
final class Sockets {
    /** RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8314 §4.1 asks for 1.2 or later. */
    static final List<String> ALLOWED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int EXPIRED = 2;

    private Sockets() {
    }

    static String[] protocols(List<String> wanted) throws TlsConfigException {
        if (wanted.isEmpty()) {
            throw new TlsConfigException("tls protocols: empty list (use TLSv1.3 and/or TLSv1.2)");
        }
        for (String p : wanted) {
            if (!ALLOWED_PROTOCOLS.contains(p)) {
                throw new TlsConfigException("tls protocols: " + p + (p.matches("(?i)(SSL|TLS)v?1?(\\.[01])?|SSLv[23].*")
                        ? " is not allowed: TLS 1.0/1.1 and SSL are deprecated (RFC 8996)"
                        : " is unknown") + "; use TLSv1.3 and/or TLSv1.2");
            }
        }
        return wanted.toArray(String[]::new);
    }

    /** Null means the JDK defaults. Names are the IANA ones the JDK uses, not OpenSSL's. */
    static String[] ciphers(List<String> wanted, SSLContext ctx) throws TlsConfigException {
        if (wanted.isEmpty()) {
            return null;
        }
        Set<String> supported = new HashSet<>(Arrays.asList(ctx.getSupportedSSLParameters().getCipherSuites()));
        for (String c : wanted) {
            if (!supported.contains(c)) {
                throw new TlsConfigException("tls ciphers: unknown cipher suite " + c
                        + " (use IANA names such as TLS_AES_128_GCM_SHA256 or"
                        + " TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
            }
        }
        return wanted.toArray(String[]::new);
    }

    /** {@code createSocket(s, host, port, autoClose=true)}: the TLS layer owns the socket now. */
    static SSLSocket layer(SSLContext ctx, Socket plain, String host) throws TlsHandshakeException {
        try {
            return (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, plain.getPort(), true);
        } catch (IOException e) {
            closeQuietly(plain);
            throw new TlsHandshakeException("TLS on " + peer(plain) + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the handshake with two bounds: SO_TIMEOUT for every read, and a deadline for
     * the whole handshake, since a peer sending one byte just before each read timeout
     * could otherwise hold the connection for as long as it likes. At the deadline the
     * plain socket is closed, which ends the blocked read. The previous SO_TIMEOUT is
     * restored on success; on failure both sockets are closed.
     *
     * <p>The deadlines of all handshakes wait in one timer ({@link #DEADLINES}, one daemon
     * thread that only closes sockets): a virtual thread per handshake that sleeps and is
     * interrupted cost a thread start, a park and an unpark per connection
     * (bench/RESULTS.md, "Issue 22: short connections over TLS").
     */
    static void handshake(SSLSocket ssl, Socket plain, Duration timeout) throws TlsHandshakeException {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("handshake timeout must be positive: " + timeout);
        }
        AtomicInteger state = new AtomicInteger(RUNNING);
        ScheduledFuture<?> deadline = DEADLINES.schedule(() -> {
            if (state.compareAndSet(RUNNING, EXPIRED)) closeQuietly(plain);
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            int previous = plain.getSoTimeout();
            ssl.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
            ssl.startHandshake();
            if (!state.compareAndSet(RUNNING, DONE)) {
                throw new SocketTimeoutException("deadline");
            }
            ssl.setSoTimeout(previous);
        } catch (IOException | RuntimeException e) {
            boolean expired = state.getAndSet(DONE) == EXPIRED;
            closeQuietly(plain);
            closeQuietly(ssl);
            throw new TlsHandshakeException("TLS handshake with " + peer(plain) + " failed: "
                    + (expired ? "not finished within " + format(timeout) : reason(e, timeout)), e);
        } finally {
            deadline.cancel(false);
        }
    }

    /** The timer of every handshake's deadline; a cancelled deadline leaves it at once. */
    private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

    private static ScheduledThreadPoolExecutor deadlines() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("tls handshake deadlines").daemon().factory());
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** A few words for the usual failures; the JDK's text otherwise, on one short line. */
    static String reason(Throwable e, Duration timeout) {
        if (e instanceof SocketTimeoutException) {
            return "no data from peer for " + format(timeout);
        }
        if (e instanceof EOFException) {
            return "peer closed the connection";
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // BoringSSL's reasons (tls-provider = openssl) come as "error:...:OPENSSL_internal:REASON"
        if (m.contains("Unsupported or unrecognized SSL message") || m.contains("not an SSL/TLS record")
                || m.contains("WRONG_VERSION_NUMBER") || m.contains("HTTP_REQUEST")) {
            return "not TLS (plaintext on a TLS port?)";
        }
        if (m.contains("Remote host terminated the handshake") || m.contains("Connection reset")
                || m.contains("Broken pipe")) {
            return "peer closed the connection";
        }
        if (m.contains("Empty client certificate chain") || m.contains("Empty certificate chain")
                || m.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE")) {
            return "client certificate required but none presented";
        }
        if (m.contains("PKIX path") || m.contains("unable to find valid certification path")
                || m.contains("CERTIFICATE_VERIFY_FAILED")) {
            return "certificate not trusted (no path to a trusted CA)";
        }
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
            return "certificate does not match the host name (" + oneLine(m) + ")";
        }
        int alert = m.indexOf("Received fatal alert: ");
        if (alert >= 0) {
            return "peer refused with alert " + oneLine(m.substring(alert + 22));
        }
        if (m.contains("No appropriate protocol") || m.contains("protocol_version")
                || m.contains("not supported or has been disabled") || m.contains("UNSUPPORTED_PROTOCOL")) {
            return "no common TLS protocol version (" + oneLine(m) + ")";
        }
        return oneLine(m);
    }

    /** A throwable's message (or its class name) on one short line. */
    static String oneLine(Throwable t) {
        return oneLine(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }

    static String oneLine(String m) {
        String s = m.replaceAll("[\\x00-\\x1F\\x7F]+", " ");
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    static String peer(Socket s) {
        SocketAddress a = s.getRemoteSocketAddress();
        if (a instanceof InetSocketAddress in && in.getAddress() != null) {
            String ip = in.getAddress().getHostAddress();
            return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + in.getPort();
        }
        return String.valueOf(a);
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Already failing; nothing more to tell.
        }
    }
}
