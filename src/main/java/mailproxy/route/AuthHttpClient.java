package mailproxy.route;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The auth_http client: GET with the given headers, read the response headers. HTTP/1.1
 * with a pool of idle keep-alive connections ({@link AuthHttpIdlePool}; nginx opens one
 * connection per login), plain blocking sockets on the caller's virtual thread, one
 * deadline for the whole exchange, and limits on everything read
 * ({@link AuthHttpResponseReader}). The body is never used (nginx ignores it too); it is
 * only read past so that the connection can serve the next login.
 */
final class AuthHttpClient implements AutoCloseable {
    static final int MAX_LINE = 8192;
    static final int MAX_HEADERS = 100;
    static final int MAX_HEADER_BYTES = 32 * 1024;
    /** Longer bodies are not read: the connection is closed instead of being reused. */
    static final int MAX_BODY_SKIPPED = 64 * 1024;

    /** Not HTTP, or over one of our limits. */
    static final class MalformedResponseException extends IOException {
        MalformedResponseException(String message) {
            super(message);
        }
    }

    /** A pooled connection the server had closed while it sat idle: safe to retry (nothing was answered). */
    private static final class StaleConnectionException extends IOException {
        StaleConnectionException(String message) {
            super(message);
        }
    }

    /** Status code and headers, names lower-cased; for a repeated name the last value wins, as in nginx. */
    record Response(int status, Map<String, String> headers) {
        String header(String lowerName) { return headers.get(lowerName); }
    }

    private final String host;
    private final int port;
    private final String target;
    private final String hostHeader;
    private final Duration timeout;
    private final int keepAlive;
    private final AuthHttpIdlePool idle;

    /**
     * @param keepAlive idle connections kept for reuse; 0 sends "Connection: close" and
     *                  opens a connection per request, as nginx does
     */
    AuthHttpClient(URI url, Duration timeout, int keepAlive) {
        this.host = url.getHost().startsWith("[") ? url.getHost().substring(1, url.getHost().length() - 1) : url.getHost();
        this.port = url.getPort() > 0 ? url.getPort() : 80;
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        this.target = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
        this.hostHeader = url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "");
        this.timeout = timeout;
        this.keepAlive = keepAlive;
        this.idle = new AuthHttpIdlePool(keepAlive);
    }

    /** Idle connections now in the pool (for tests). */
    int idleCount() {
        return idle.size();
    }

    /**
     * One request. {@code headers} are name/value pairs, already escaped.
     *
     * @throws SocketTimeoutException when the deadline passes
     * @throws MalformedResponseException when the answer is not HTTP or breaks a limit
     * @throws IOException when the server cannot be reached or hangs up
     */
    Response get(List<Map.Entry<String, String>> headers) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] request = request(headers);
        AuthHttpConnection pooled = idle.take();
        if (pooled != null) {
            try {
                return exchange(pooled, request, deadline);
            } catch (StaleConnectionException e) {
                // The server timed this one out (exchange() has closed it). Only this one goes: the
                // pool stays open, and any other stale idle one is found the same way when its turn
                // comes. A GET is idempotent and nothing was answered, so one retry on a new
                // connection is safe.
            }
        }
        return exchange(AuthHttpConnection.open(host, port, deadline), request, deadline);
    }

    private byte[] request(List<Map.Entry<String, String>> headers) {
        StringBuilder b = new StringBuilder(512);
        b.append("GET ").append(target).append(" HTTP/1.1\r\n");
        b.append("Host: ").append(hostHeader).append("\r\n");
        if (keepAlive == 0) b.append("Connection: close\r\n");
        for (Map.Entry<String, String> h : headers) {
            String v = h.getValue();
            // the router escapes; this guard keeps a future caller from splitting the request
            if (v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0 || !HeaderEscaping.isToken(h.getKey())) {
                throw new IllegalArgumentException("unsafe header " + h.getKey());
            }
            b.append(h.getKey()).append(": ").append(v).append("\r\n");
        }
        b.append("\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Sends the request and reads the response; the connection goes back to the pool when
     * it can carry the next one, else it is closed. A reused connection that fails before
     * any byte of an answer was stale: {@link StaleConnectionException}, for one retry.
     */
    private Response exchange(AuthHttpConnection c, byte[] request, long deadline) throws IOException {
        boolean keep = false;
        try {
            try {
                c.write(request);
            } catch (IOException e) {
                if (c.reused) throw new StaleConnectionException(e.toString());
                throw e;
            }
            String statusLine;
            try {
                statusLine = c.readLine(deadline);
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                if (c.reused && !c.gotBytes) throw new StaleConnectionException(e.toString());
                throw e;
            }
            if (statusLine == null) {
                if (c.reused) throw new StaleConnectionException("closed while idle");
                throw new EOFException("auth server closed the connection without a response");
            }
            AuthHttpResponseReader.Read read = AuthHttpResponseReader.read(c, statusLine, deadline, keepAlive > 0);
            keep = read.reusable();
            return read.response();
        } finally {
            if (keep) idle.giveBack(c);
            else c.close();
        }
    }

    /** Closes the idle connections; those in use are closed when they come back. */
    @Override
    public void close() {
        idle.close();
    }
}
