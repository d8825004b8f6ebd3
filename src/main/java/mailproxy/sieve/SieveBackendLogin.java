package mailproxy.sieve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import mailproxy.route.Route;
import mailproxy.route.Target;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.OAuth;
import mailproxy.sasl.SaslServer;
import mailproxy.session.BackendLogin;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * Logs in to a ManageSieve backend for the client (RFC 5804): the capability greeting,
 * STARTTLS where configured (the capabilities come again, §2.2), then AUTHENTICATE "PLAIN"
 * with the initial response as a quoted string, or as a literal when it is longer than a
 * quoted string may be; with the client's own token mechanism (OAUTHBEARER, XOAUTH2) when
 * the client gave a token and the backend offers it. The backend's OK or NO is the
 * client's answer.
 */
final class SieveBackendLogin implements BackendLogin {
    /** Capability lines in a greeting; more is garbage. */
    private static final int MAX_LINES = 100;

    private final Session session;
    private final Credentials client;
    /** The backend's error challenge to a token login (base64), passed on to the client. */
    private String errorChallenge;

    SieveBackendLogin(Session session, Credentials client) {
        this.session = session;
        this.client = client;
    }

    @Override
    public String errorChallenge() { return errorChallenge == null || errorChallenge.isEmpty() ? null : errorChallenge; }

    @Override
    public Result login(Connection b, Target target, Route.Ok route, BackendTls tls) throws IOException {
        int max = session.limits().backendLineLength();
        Set<String> sasl = new HashSet<>();
        String end = capabilities(b, max, sasl);
        if (!word(end, "OK")) return new Result.Broken("greeting: " + LogSafe.backendLine(end));
        if (target.options().tls(Protocol.SIEVE) == Backend.Tls.STARTTLS) {
            b.writeLine("STARTTLS");
            String r = response(b, max);
            if (!word(r, "OK")) return new Result.Broken("STARTTLS refused: " + LogSafe.backendLine(r));
            tls.upgrade(b, target);
            sasl.clear();
            end = capabilities(b, max, sasl);
            if (!word(end, "OK")) return new Result.Broken("capabilities after STARTTLS: " + LogSafe.backendLine(end));
        }
        Set<String> mechanisms = sasl;
        // from the AUTHENTICATE on (it carries the client's user name and password) the
        // backend answers what the client sent: not a fault of the server (docs/SECURITY.md,
        // "Backends and pools")
        return BackendLogin.clientInput(() -> authenticate(b, route, mechanisms, max));
    }

    /** AUTHENTICATE with the client's credentials (RFC 5804 §2.1): the part that carries its bytes. */
    private Result authenticate(Connection b, Route.Ok route, Set<String> sasl, int max) throws IOException {
        String user = route.user();
        String pass = route.password();
        String mechanism = OAuth.backendMechanism(client, user, pass, sasl);
        String response = mechanism == null ? SaslServer.encode("\0" + user + "\0" + pass) : OAuth.backendResponse(mechanism, user, pass);
        b.writeLine("AUTHENTICATE " + SieveReplies.string(mechanism == null ? "PLAIN" : mechanism.toUpperCase(Locale.ROOT))
                + " " + argument(response));
        String r = response(b, max);
        if (r != null && (r.startsWith("\"") || r.startsWith("{"))) {
            // RFC 7628 §3.2.2: a token mechanism's error arrives as a challenge; answer it, then NO follows
            if (mechanism == null) return new Result.Broken("unexpected challenge to AUTHENTICATE PLAIN");
            errorChallenge = unquote(r);
            b.writeLine(SieveReplies.string(OAuth.dummyResponse(mechanism)));
            r = response(b, max);
        }
        if (word(r, "OK")) return new Result.Accepted(SieveReplies.line(r));
        if (word(r, "NO")) {
            return new Result.Refused(SieveReplies.line(r));
        }
        return new Result.Broken("login reply: " + LogSafe.backendLine(r));
    }

    /** A string argument: quoted when it fits (RFC 5804 §4: 1024 characters), else a literal {n+}. */
    private static String argument(String s) {
        if (s.length() <= SieveParser.MAX_QUOTED) return "\"" + s + "\"";
        return "{" + s.length() + "+}" + Replies.CRLF + s;
    }

    /**
     * Reads capability lines ("NAME" ["value"]) up to the response that ends them; the SASL
     * mechanisms go to {@code sasl}. Returns that response, or null if the backend closed.
     */
    private static String capabilities(Connection b, int max, Set<String> sasl) throws IOException {
        for (int i = 0; i < MAX_LINES; i++) {
            String line = response(b, max);
            if (line == null || !line.startsWith("\"")) return line;
            if (line.regionMatches(true, 0, "\"SASL\" ", 0, 7)) {
                for (String m : unquote(line.substring(7)).split(" ")) if (!m.isEmpty()) sasl.add(m.toUpperCase(Locale.ROOT));
            }
        }
        throw new IOException("more than " + MAX_LINES + " capability lines");
    }

    /**
     * One response line with any literal in it read too ("{n}" ends a line, n bytes and the
     * rest of the line follow), bounded by {@code max} in all; null if the backend closed.
     */
    static String response(Connection b, int max) throws IOException {
        String line = b.readLine(max);
        if (line == null) return null;
        StringBuilder all = new StringBuilder(line);
        for (long n = literalAtEnd(line); n >= 0; n = literalAtEnd(line)) {
            if (n > max - all.length()) throw new IOException("backend literal too big");
            all.append(Replies.CRLF).append(new String(b.readExactly((int) n), StandardCharsets.ISO_8859_1));
            line = b.readLine(max);
            if (line == null) return null;
            all.append(line);
        }
        return all.toString();
    }

    private static long literalAtEnd(String line) {
        if (!line.endsWith("}")) return -1;
        int open = line.lastIndexOf('{');
        if (open < 0 || line.length() - open > 14) return -1;
        String digits = line.substring(open + 1, line.length() - 1);
        if (digits.endsWith("+")) digits = digits.substring(0, digits.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return -1;
        return Long.parseLong(digits);
    }

    /** The content of a quoted string or literal at the start of {@code s} (as {@link #response} assembled it). */
    static String unquote(String s) {
        if (s.startsWith("{")) {
            int nl = s.indexOf(Replies.CRLF);
            return nl < 0 ? "" : s.substring(nl + 2);
        }
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') break;
            if (c == '\\' && i + 1 < s.length()) c = s.charAt(++i);
            b.append(c);
        }
        return b.toString();
    }

    /** The response starts with OK, NO or BYE as a word (RFC 5804 §4: response-oknobye). */
    private static boolean word(String r, String w) {
        return r != null && r.regionMatches(true, 0, w, 0, w.length()) && (r.length() == w.length() || r.charAt(w.length()) == ' ');
    }

    @Override
    public void rejected(Route.Reject reject) throws IOException {
        String text = LogSafe.oneLine(reject.message());
        session.client().write(reject.retryAfter() == null ? SieveReplies.bye(text) : SieveReplies.no(text));
    }

    @Override
    public void unavailable() throws IOException {
        session.client().write(SieveReplies.UNAVAILABLE);
    }
}
