package mailproxy.imap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import mailproxy.config.Backend;
import mailproxy.route.Route;
import mailproxy.route.Target;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.OAuth;
import mailproxy.sasl.SaslServer;
import mailproxy.session.BackendLogin;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * Logs in to an IMAP backend for the client: greeting, optional ID with the client's
 * address (Dovecot honours it from login_trusted_networks), then LOGIN with literals (any
 * byte is safe in a literal) or AUTHENTICATE PLAIN. Untagged lines on the way are
 * tolerated; those that answer the login (a CAPABILITY, an ALERT) reach the client with
 * the backend's completion, under the client's own tag.
 */
final class ImapBackendLogin implements BackendLogin {
    /** RFC 7888 §4: LITERAL- allows non-synchronizing literals up to 4096 octets. */
    private static final int LITERAL_MINUS_MAX = 4096;

    private final Session session;
    /** The tag of the client command this login answers. */
    private final String clientTag;
    /** What the client logged in with: a token mechanism is used towards the backend too. */
    private final Credentials client;
    /** The client's own ID fields, filtered ({@link ClientId}), sent behind the proxy's. */
    private final List<String> clientId;
    /** Tags count per backend connection, which is this login's own. */
    private int serial;
    /** The backend's error challenge to a token login (base64), passed on to the client. */
    private String errorChallenge;

    ImapBackendLogin(Session session, String clientTag, Credentials client, List<String> clientId) {
        this.session = session;
        this.clientTag = clientTag;
        this.client = client;
        this.clientId = clientId;
    }

    @Override
    public Result login(Connection b, Target target, Route.Ok route, BackendTls tls) throws IOException {
        BackendReader r = new BackendReader(b, session.limits().backendLineLength());
        String greeting = r.line();
        // greeting = "*" SP (resp-cond-auth / resp-cond-bye); PREAUTH would skip the login
        if (greeting == null || !greeting.regionMatches(true, 0, "* OK", 0, 4)) {
            return new Result.Broken("greeting: " + LogSafe.backendLine(greeting));
        }
        Set<String> caps = capabilities(greeting);
        Backend.Imap options = target.options().imap();
        if (options != null && options.tls() == Backend.Tls.STARTTLS) {
            String tag = nextTag();
            b.writeLine(tag + " STARTTLS");
            String done = r.until(tag, new StringBuilder());
            if (done == null || done.startsWith("+") || !status(tag, done).startsWith("OK")) {
                return new Result.Broken("STARTTLS refused: " + LogSafe.backendLine(done));
            }
            tls.upgrade(b, target);
            // RFC 9051 §6.2.1: capabilities from before TLS no longer count; ask again
            tag = nextTag();
            b.writeLine(tag + " CAPABILITY");
            StringBuilder untagged = new StringBuilder();
            done = r.until(tag, untagged);
            if (done == null || done.startsWith("+") || !status(tag, done).startsWith("OK")) {
                return new Result.Broken("CAPABILITY after STARTTLS: " + LogSafe.backendLine(done));
            }
            caps = capabilities("* OK [" + untagged.toString().replaceFirst("^\\* ", "").trim() + "]");
        }
        Set<String> known = caps;
        // from the ID on (it carries the client's own fields) the backend answers what the client sent
        return BackendLogin.clientInput(() -> idAndLogin(b, r, known, options, route));
    }

    /** ID where wanted, then the login itself: the part that carries the client's own bytes. */
    private Result idAndLogin(Connection b, BackendReader r, Set<String> caps, Backend.Imap options, Route.Ok route)
            throws IOException {
        // ID is an extension (RFC 2971): not sent to a server whose capabilities are known
        // and lack it, and a server that refuses it (BAD/NO) is logged in without it, since
        // send-id is on by default and must be harmless wherever it is not understood
        if (options != null && options.sendId() && (caps.isEmpty() || caps.contains("ID"))) {
            String tag = nextTag();
            b.writeLine(tag + " ID " + idParams());
            String done = r.until(tag, new StringBuilder());
            if (done == null) return new Result.Broken("closed after ID");
            if (done.startsWith("+")) return new Result.Broken("unexpected continuation after ID: " + LogSafe.backendLine(done));
        }
        String user = route.user();
        String pass = route.password();
        // NUL is the one byte a literal cannot carry (CHAR8 = %x01-ff), and AUTHENTICATE
        // PLAIN uses it as the separator
        if (user.indexOf('\0') >= 0 || pass.indexOf('\0') >= 0) {
            return new Result.Refused(ImapReplies.tagged(clientTag, ImapReplies.AUTH_FAILED));
        }
        if (caps.isEmpty() && client != null && OAuth.isToken(client.method())) {
            // no CAPABILITY in the greeting: ask, to learn whether the token mechanisms are there
            String tag = nextTag();
            b.writeLine(tag + " CAPABILITY");
            StringBuilder untagged = new StringBuilder();
            String done = r.until(tag, untagged);
            if (done == null || done.startsWith("+") || !status(tag, done).startsWith("OK")) {
                return new Result.Broken("CAPABILITY: " + LogSafe.backendLine(done));
            }
            caps = capabilities("* OK [" + untagged.toString().replaceFirst("^\\* ", "").trim() + "]");
        }
        Set<String> mechanisms = new HashSet<>();
        for (String c : caps) if (c.startsWith("AUTH=")) mechanisms.add(c.substring(5));
        String token = OAuth.backendMechanism(client, user, pass, mechanisms);
        if (token != null) return authenticate(b, r, caps, token, OAuth.backendResponse(token, user, pass));
        if (options != null && options.login() == Backend.ImapLogin.AUTHENTICATE_PLAIN) return authenticatePlain(b, r, caps, user, pass);
        return loginWithLiterals(b, r, caps, user, pass);
    }

    /**
     * A token login (OAUTHBEARER, XOAUTH2) via AUTHENTICATE with SASL-IR when announced. A
     * refused token comes back as a "+ " error challenge (RFC 7628 §3.2.2): the proxy
     * answers it for the client and keeps it to show the client.
     */
    private Result authenticate(Connection b, BackendReader r, Set<String> caps, String mechanism, String response)
            throws IOException {
        String tag = nextTag();
        StringBuilder untagged = new StringBuilder();
        String name = mechanism.toUpperCase(Locale.ROOT);
        if (caps.contains("SASL-IR")) {
            b.writeLine(tag + " AUTHENTICATE " + name + " " + response);
        } else {
            b.writeLine(tag + " AUTHENTICATE " + name);
            String reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(response);
        }
        String reply = r.until(tag, untagged);
        if (reply != null && reply.startsWith("+")) {
            errorChallenge = reply.length() > 2 ? reply.substring(2).trim() : "";
            b.writeLine(OAuth.dummyResponse(mechanism));
            reply = r.until(tag, untagged);
        }
        return finish(tag, reply, untagged);
    }

    /**
     * login = "LOGIN" SP userid SP password, both as literals. Synchronizing literals wait
     * for the backend's "+" each; with LITERAL+ (RFC 7888) the command goes in one write.
     */
    private Result loginWithLiterals(Connection b, BackendReader r, Set<String> caps, String user, String pass)
            throws IOException {
        String tag = nextTag();
        StringBuilder untagged = new StringBuilder();
        boolean nonSync = caps.contains("LITERAL+")
                || (caps.contains("LITERAL-") && Math.max(user.length(), pass.length()) <= LITERAL_MINUS_MAX);
        if (nonSync) {
            b.write(ImapReplies.lines(tag + " LOGIN {" + user.length() + "+}", user + " {" + pass.length() + "+}", pass));
        } else {
            b.writeLine(tag + " LOGIN {" + user.length() + "}");
            String reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(user + " {" + pass.length() + "}");
            reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(pass);
        }
        return finish(tag, r.until(tag, untagged), untagged);
    }

    /** RFC 4616 via AUTHENTICATE (RFC 9051 §6.2.2), with SASL-IR when announced (RFC 4959). */
    private Result authenticatePlain(Connection b, BackendReader r, Set<String> caps, String user, String pass)
            throws IOException {
        String tag = nextTag();
        StringBuilder untagged = new StringBuilder();
        String response = SaslServer.encode("\0" + user + "\0" + pass);
        if (caps.contains("SASL-IR")) {
            b.writeLine(tag + " AUTHENTICATE PLAIN " + response);
        } else {
            b.writeLine(tag + " AUTHENTICATE PLAIN");
            String reply = r.until(tag, untagged);
            if (reply == null || !reply.startsWith("+")) return finish(tag, reply, untagged);
            b.writeLine(response);
        }
        return finish(tag, r.until(tag, untagged), untagged);
    }

    /** The backend's completion of the login, given to the client under the client's tag. */
    private Result finish(String tag, String reply, StringBuilder untagged) {
        if (reply == null) return new Result.Broken("closed during login");
        if (reply.startsWith("+")) return new Result.Broken("unexpected continuation: " + LogSafe.backendLine(reply));
        String status = status(tag, reply);
        String toClient = untagged + ImapReplies.tagged(clientTag, status);
        if (status.startsWith("OK")) return new Result.Accepted(toClient);
        // NO is a refused login (RFC 5530 AUTHENTICATIONFAILED and friends); BAD is the
        // backend refusing the values: either way the client may try again
        if (status.startsWith("NO") || status.startsWith("BAD")) return new Result.Refused(toClient);
        return new Result.Broken("login reply: " + LogSafe.backendLine(reply));
    }

    /**
     * resp-cond-state after the tag, the state word upper-cased for the caller's checks; ""
     * for a line that is not tagged {@code tag} (a "+" where none was asked for).
     */
    static String status(String tag, String reply) {
        if (!reply.startsWith(tag + " ")) return "";
        String rest = reply.substring(tag.length() + 1);
        int sp = rest.indexOf(' ');
        String word = sp < 0 ? rest : rest.substring(0, sp);
        return word.toUpperCase(Locale.ROOT) + (sp < 0 ? "" : rest.substring(sp));
    }

    /**
     * Dovecot's ID fields for a proxy (its login_trusted_networks decide whether they are
     * believed): the client's address and port, where it connected, and our session id
     * so the two logs can be joined; then the client's own fields (name, version, os, ...)
     * from its ID before login, filtered by {@link ClientId}.
     */
    private String idParams() {
        InetSocketAddress client = session.clientAddress();
        InetSocketAddress local = session.localAddress();
        return "(\"x-originating-ip\" " + quote(Addresses.ip(client.getAddress()))
                + " \"x-originating-port\" \"" + client.getPort() + "\""
                + " \"x-connected-ip\" " + quote(Addresses.ip(local.getAddress()))
                + " \"x-connected-port\" \"" + local.getPort() + "\""
                + " \"x-session-id\" " + quote(session.sessionId()) + ClientId.params(clientId) + ")";
    }

    /** quoted = DQUOTE *QUOTED-CHAR DQUOTE, escaping the two quoted-specials. */
    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** The words of a "[CAPABILITY ...]" response code in the greeting, upper-cased. */
    static Set<String> capabilities(String greeting) {
        Set<String> caps = new HashSet<>();
        String upper = greeting.toUpperCase(Locale.ROOT);
        int start = upper.indexOf("[CAPABILITY ");
        if (start < 0) return caps;
        int end = upper.indexOf(']', start);
        if (end < 0) return caps;
        for (String c : upper.substring(start + 12, end).split(" ")) if (!c.isEmpty()) caps.add(c);
        return caps;
    }

    @Override
    public String errorChallenge() { return errorChallenge; }

    private String nextTag() {
        return "mp" + (++serial);
    }

    @Override
    public void rejected(Route.Reject reject) throws IOException {
        String text = "NO [AUTHENTICATIONFAILED] " + LogSafe.oneLine(reject.message());
        session.client().write(ImapReplies.tagged(clientTag, text)
                + (reject.retryAfter() == null ? ImapReplies.BYE_CLOSING : ""));
    }

    @Override
    public void unavailable() throws IOException {
        // RFC 5530 §3 UNAVAILABLE: "Temporary failure because a subsystem is down"
        session.client().write(ImapReplies.tagged(clientTag, ImapReplies.UNAVAILABLE) + ImapReplies.BYE_UNAVAILABLE);
    }

    /**
     * Reads backend responses during the login, bounded: each line by the backend line
     * limit, and all untagged text kept for the client by the same limit.
     */
    private static final class BackendReader {
        private final Connection b;
        private final int max;

        BackendReader(Connection b, int max) {
            this.b = b;
            this.max = max;
        }

        String line() throws IOException {
            return b.readLine(max);
        }

        /**
         * Reads until a continuation ("+ ...") or the completion tagged {@code tag};
         * untagged responses on the way (with any literals in them) go to {@code untagged}.
         *
         * @return the "+" or tagged line, or null if the backend closed
         */
        String until(String tag, StringBuilder untagged) throws IOException {
            while (true) {
                String line = b.readLine(max);
                if (line == null) return null;
                if (line.startsWith("+") || line.startsWith(tag + " ")) return line;
                if (!line.startsWith("* ")) throw new IOException("unexpected backend line: " + LogSafe.backendLine(line));
                // response-data may carry literals: "{n}" ends the line, n bytes follow
                StringBuilder response = new StringBuilder(line);
                for (long n = literalAtEnd(line); n >= 0; n = literalAtEnd(line)) {
                    if (n > max - untagged.length() - response.length()) throw new IOException("backend literal too big");
                    response.append(Replies.CRLF).append(new String(b.readExactly((int) n), StandardCharsets.ISO_8859_1));
                    line = b.readLine(max);
                    if (line == null) return null;
                    response.append(line);
                }
                if (untagged.length() + response.length() > max) throw new IOException("too many untagged lines");
                untagged.append(response).append(Replies.CRLF);
            }
        }

        /** The n of a "{n}" at the end of a line, or -1. */
        private static long literalAtEnd(String line) {
            if (!line.endsWith("}")) return -1;
            int open = line.lastIndexOf('{');
            if (open < 0 || line.length() - open > 14) return -1;
            String digits = line.substring(open + 1, line.length() - 1);
            if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return -1;
            return Long.parseLong(digits);
        }
    }
}
