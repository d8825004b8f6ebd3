package mailproxy.route;

import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one auth_http response (RFC 9112) within the limits of {@link AuthHttpClient}: the
 * status line, the headers, and past the body, which is never used (nginx ignores it too)
 * but read so that the connection can serve the next login.
 */
final class AuthHttpResponseReader {
    private AuthHttpResponseReader() {}

    private static final int MAX_INTERIM = 5;

    /** RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. */
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.([01]) ([0-9]{3})(?: .*)?");

    /** The final response, and whether its connection may carry the next request. */
    record Read(AuthHttpClient.Response response, boolean reusable) {}

    private record Head(Map<String, String> values, boolean conflictingLength) {}

    /**
     * The rest of a response whose first status line the caller has read.
     *
     * @param keepAlive whether the client keeps connections at all: without, the body is not read
     */
    static Read read(AuthHttpConnection c, String statusLine, long deadline, boolean keepAlive) throws IOException {
        for (int interim = 0; ; interim++) {
            Matcher m = STATUS.matcher(statusLine);
            if (!m.matches()) throw new AuthHttpClient.MalformedResponseException("not an HTTP status line: " + redacted(statusLine));
            int status = Integer.parseInt(m.group(2));
            Head head = readHeaders(c, deadline);
            if (status >= 100 && status < 200) {
                // RFC 9110 §15.2: interim responses precede the final one
                if (interim >= MAX_INTERIM) throw new AuthHttpClient.MalformedResponseException("too many interim responses");
                statusLine = c.readLine(deadline);
                if (statusLine == null) throw new EOFException("auth server closed after an interim response");
                continue;
            }
            AuthHttpClient.Response response = new AuthHttpClient.Response(status, Map.copyOf(head.values));
            boolean reusable = keepAlive && persistent(m.group(1).equals("1"), head) && skipBody(c, status, head, deadline)
                    && !c.hasBuffered(); // bytes past the response: the stream is out of step, do not reuse
            return new Read(response, reusable);
        }
    }

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
            if (n >= AuthHttpClient.MAX_HEADERS || bytes > AuthHttpClient.MAX_HEADER_BYTES) {
                throw new AuthHttpClient.MalformedResponseException(
                        "more than " + AuthHttpClient.MAX_HEADERS + " headers or " + AuthHttpClient.MAX_HEADER_BYTES + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !HeaderEscaping.isToken(line.substring(0, colon))) {
                throw new AuthHttpClient.MalformedResponseException("bad header line: " + redacted(line));
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
            if (n > AuthHttpClient.MAX_BODY_SKIPPED) return false;
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
            if (total > AuthHttpClient.MAX_BODY_SKIPPED) return false;
            c.skip(size, deadline);
            String end = c.readLine(deadline);
            if (end == null || !end.isEmpty()) return false;
        }
        for (int n = 0; n <= AuthHttpClient.MAX_HEADERS; n++) {
            String trailer = c.readLine(deadline);
            if (trailer == null) return false;
            if (trailer.isEmpty()) return true;
        }
        return false;
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
