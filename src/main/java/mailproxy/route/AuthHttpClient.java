package mailproxy.route;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The auth_http client: GET with the given headers, read the response headers. HTTP/1.1
 * with a pool of idle keep-alive connections (nginx opens one connection per login), plain
 * blocking sockets on the caller's virtual thread, one deadline for the whole exchange,
 * and limits on everything read. The body is never used (nginx ignores it too); it is only
 * read past so that the connection can serve the next login.
 */
final class AuthHttpClient implements AutoCloseable {
    static final int MAX_LINE = 8192;
    static final int MAX_HEADERS = 100;
    static final int MAX_HEADER_BYTES = 32 * 1024;
    /** Longer bodies are not read: the connection is closed instead of being reused. */
    static final int MAX_BODY_SKIPPED = 64 * 1024;
    /** An idle connection older than this is closed rather than tried: servers time them out. */
    static final Duration MAX_IDLE = Duration.ofSeconds(60);
    private static final int MAX_INTERIM = 5;

    /** RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. */
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.([01]) ([0-9]{3})(?: .*)?");

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
    private final ReentrantLock lock = new ReentrantLock();
    /** After close(): connections coming back are closed, not pooled (guarded by lock). */
    private boolean closed;
    private final ArrayDeque<AuthHttpConnection> idle = new ArrayDeque<>();

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
    }

    /** Idle connections now in the pool (for tests). */
    int idleCount() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
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
        AuthHttpConnection pooled = takeIdle();
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
            for (int interim = 0; ; interim++) {
                Matcher m = STATUS.matcher(statusLine);
                if (!m.matches()) throw new MalformedResponseException("not an HTTP status line: " + redacted(statusLine));
                int status = Integer.parseInt(m.group(2));
                Head head = readHeaders(c, deadline);
                if (status >= 100 && status < 200) {
                    // RFC 9110 §15.2: interim responses precede the final one
                    if (interim >= MAX_INTERIM) throw new MalformedResponseException("too many interim responses");
                    statusLine = c.readLine(deadline);
                    if (statusLine == null) throw new EOFException("auth server closed after an interim response");
                    continue;
                }
                Response response = new Response(status, Map.copyOf(head.values));
                keep = keepAlive > 0 && persistent(m.group(1).equals("1"), head) && skipBody(c, status, head, deadline)
                        && !c.hasBuffered(); // bytes past the response: the stream is out of step, do not reuse
                return response;
            }
        } finally {
            if (keep) giveBack(c);
            else c.close();
        }
    }

    private record Head(Map<String, String> values, boolean conflictingLength) {}

    /** RFC 9112 §5: field-line = field-name ":" OWS field-value OWS; obs-fold is refused (§5.2). */
    private static Head readHeaders(AuthHttpConnection c, long deadline) throws IOException {
        Map<String, String> values = new HashMap<>();
        boolean conflictingLength = false;
        int bytes = 0;
        for (int n = 0; ; n++) {
            String line = c.readLine(deadline);
            if (line == null) throw new EOFException("auth server closed inside the response headers");
            if (line.isEmpty()) return new Head(values, conflictingLength);
            bytes += line.length() + 2;
            if (n >= MAX_HEADERS || bytes > MAX_HEADER_BYTES) {
                throw new MalformedResponseException("more than " + MAX_HEADERS + " headers or " + MAX_HEADER_BYTES + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !HeaderEscaping.isToken(line.substring(0, colon))) {
                throw new MalformedResponseException("bad header line: " + redacted(line));
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = ows(line.substring(colon + 1));
            String old = values.put(name, value);
            if (name.equals("content-length") && old != null && !old.equals(value)) conflictingLength = true;
        }
    }

    /** Trims OWS = *( SP / HTAB ) only (RFC 9110 §5.6.3): other bytes, even controls, belong to the value. */
    private static String ows(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) from++;
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) to--;
        return s.substring(from, to);
    }

    /** RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive". */
    private static boolean persistent(boolean http11, Head head) {
        String connection = head.values.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        List<String> tokens = new ArrayList<>();
        for (String t : connection.split(",")) tokens.add(t.strip());
        if (tokens.contains("close")) return false;
        return http11 || tokens.contains("keep-alive");
    }

    /**
     * Reads past the body (RFC 9112 §6.3) so the next request starts on a clean stream.
     * False when the connection cannot be reused: body delimited by close, too long, or
     * not readable in time. The response itself is already complete, so no error here
     * fails the login.
     */
    private static boolean skipBody(AuthHttpConnection c, int status, Head head, long deadline) {
        if (status == 204 || status == 304) return true;
        try {
            String te = head.values.get("transfer-encoding");
            if (te != null) {
                return te.strip().equalsIgnoreCase("chunked") && skipChunked(c, deadline);
            }
            String cl = head.values.get("content-length");
            if (cl == null || head.conflictingLength || !cl.matches("[0-9]{1,9}")) return false;
            long n = Long.parseLong(cl);
            if (n > MAX_BODY_SKIPPED) return false;
            c.skip(n, deadline);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk; trailers. */
    private static boolean skipChunked(AuthHttpConnection c, long deadline) throws IOException {
        long total = 0;
        while (true) {
            String sizeLine = c.readLine(deadline);
            if (sizeLine == null) return false;
            int semi = sizeLine.indexOf(';');
            String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip();
            if (!hex.matches("[0-9a-fA-F]{1,8}")) return false;
            long size = Long.parseLong(hex, 16);
            if (size == 0) break;
            total += size;
            if (total > MAX_BODY_SKIPPED) return false;
            c.skip(size, deadline);
            String end = c.readLine(deadline);
            if (end == null || !end.isEmpty()) return false;
        }
        for (int n = 0; n <= MAX_HEADERS; n++) {
            String trailer = c.readLine(deadline);
            if (trailer == null) return false;
            if (trailer.isEmpty()) return true;
        }
        return false;
    }

    private AuthHttpConnection takeIdle() {
        List<AuthHttpConnection> expired = new ArrayList<>();
        AuthHttpConnection found = null;
        long now = System.nanoTime();
        lock.lock();
        try {
            while (found == null && !idle.isEmpty()) {
                AuthHttpConnection c = idle.pollFirst();
                if (now - c.idleSince > MAX_IDLE.toNanos()) expired.add(c);
                else found = c;
            }
        } finally {
            lock.unlock();
        }
        expired.forEach(AuthHttpConnection::close);
        if (found != null) found.reused = true;
        return found;
    }

    private void giveBack(AuthHttpConnection c) {
        c.idleSince = System.nanoTime();
        c.gotBytes = false;
        lock.lock();
        try {
            // most recently used first: it is the least likely to have been timed out
            if (!closed && idle.size() < keepAlive) {
                idle.addFirst(c);
                return;
            }
        } finally {
            lock.unlock();
        }
        c.close();
    }

    /** Closes the idle connections; those in use are closed when they come back. */
    @Override
    public void close() {
        List<AuthHttpConnection> all;
        lock.lock();
        try {
            closed = true;
            all = new ArrayList<>(idle);
            idle.clear();
        } finally {
            lock.unlock();
        }
        all.forEach(AuthHttpConnection::close);
    }

    /**
     * A response line that broke the grammar, fit for a log line and an error message: the
     * would-be header name before the first colon when it is one (e.g. "Auth-Pass " with a
     * stray space, which RFC 9112 §5.1 forbids) and only the length of the rest, never the
     * value. Anything else, a folded continuation line (obs-fold, RFC 9112 §5.2) or a bare
     * value sent as a status line, may itself be a password: only its length is shown.
     */
    static String redacted(String line) {
        int colon = line.indexOf(':');
        String name = colon < 0 ? "" : line.substring(0, colon);
        if (!HeaderEscaping.isToken(name.strip()) || name.length() > 64) {
            return "(" + line.length() + " bytes not shown)";
        }
        String shown = name.strip().equals(name) ? name : "'" + mailproxy.wire.LogSafe.text(name) + "' (with white space)";
        return shown + ": (" + (line.length() - colon - 1) + " bytes of value not shown)";
    }
}
