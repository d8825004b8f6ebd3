package mailproxy.imap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import mailproxy.config.Backend;
import mailproxy.route.Route;
import mailproxy.route.Target;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.OAuth;
import mailproxy.session.BackendLogin;
import mailproxy.session.Session;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * Logs in to an IMAP backend for the client: greeting, STARTTLS where configured, optional
 * ID with the client's address (Dovecot honours it from login_trusted_networks), then LOGIN
 * with literals or AUTHENTICATE ({@link ImapBackendAuth}). Untagged lines on the way are
 * tolerated ({@link ImapBackendDialogue}); those that answer the login (a CAPABILITY, an
 * ALERT) reach the client with the backend's completion, under the client's own tag.
 */
final class ImapBackendLogin implements BackendLogin {
    private final Session session;
    /** The tag of the client command this login answers. */
    private final String clientTag;
    /** What the client logged in with: a token mechanism is used towards the backend too. */
    private final Credentials client;
    /** The client's own ID fields, filtered ({@link ClientId}), sent behind the proxy's. */
    private final List<String> clientId;
    /** The login's last step, once it is reached: it keeps the backend's error challenge to a token. */
    private ImapBackendAuth auth;

    ImapBackendLogin(Session session, String clientTag, Credentials client, List<String> clientId) {
        this.session = session;
        this.clientTag = clientTag;
        this.client = client;
        this.clientId = clientId;
    }

    @Override
    public Result login(Connection b, Target target, Route.Ok route, BackendTls tls) throws IOException {
        ImapBackendDialogue r = new ImapBackendDialogue(b, session.limits().backendLineLength());
        String greeting = r.line();
        // greeting = "*" SP (resp-cond-auth / resp-cond-bye); PREAUTH would skip the login
        if (greeting == null || !greeting.regionMatches(true, 0, "* OK", 0, 4)) {
            return new Result.Broken("greeting: " + LogSafe.backendLine(greeting));
        }
        Set<String> caps = ImapBackendDialogue.capabilities(greeting);
        Backend.Imap options = target.options().imap();
        if (options != null && options.tls() == Backend.Tls.STARTTLS) {
            String tag = r.nextTag();
            b.writeLine(tag + " STARTTLS");
            String done = r.until(tag, new StringBuilder());
            if (done == null || done.startsWith("+") || !ImapBackendDialogue.status(tag, done).startsWith("OK")) {
                return new Result.Broken("STARTTLS refused: " + LogSafe.backendLine(done));
            }
            tls.upgrade(b, target);
            // RFC 9051 §6.2.1: capabilities from before TLS no longer count; ask again
            try {
                caps = r.askCapabilities();
            } catch (ImapBackendDialogue.Refused e) {
                return new Result.Broken("CAPABILITY after STARTTLS: " + LogSafe.backendLine(e.reply));
            }
        }
        Set<String> known = caps;
        // from the ID on (it carries the client's own fields) the backend answers what the client sent
        return BackendLogin.clientInput(() -> idAndLogin(b, r, known, options, route));
    }

    /** ID where wanted, then the login itself: the part that carries the client's own bytes. */
    private Result idAndLogin(Connection b, ImapBackendDialogue r, Set<String> caps, Backend.Imap options, Route.Ok route)
            throws IOException {
        // ID is an extension (RFC 2971): not sent to a server whose capabilities are known
        // and lack it, and a server that refuses it (BAD/NO) is logged in without it, since
        // send-id is on by default and must be harmless wherever it is not understood
        if (options != null && options.sendId() && (caps.isEmpty() || caps.contains("ID"))) {
            String tag = r.nextTag();
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
            try {
                caps = r.askCapabilities();
            } catch (ImapBackendDialogue.Refused e) {
                return new Result.Broken("CAPABILITY: " + LogSafe.backendLine(e.reply));
            }
        }
        auth = new ImapBackendAuth(b, r, caps, clientTag);
        Set<String> mechanisms = new HashSet<>();
        for (String c : caps) if (c.startsWith("AUTH=")) mechanisms.add(c.substring(5));
        String token = OAuth.backendMechanism(client, user, pass, mechanisms);
        if (token != null) return auth.token(token, OAuth.backendResponse(token, user, pass));
        if (options != null && options.login() == Backend.ImapLogin.AUTHENTICATE_PLAIN) return auth.authenticatePlain(user, pass);
        return auth.loginWithLiterals(user, pass);
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

    @Override
    public String errorChallenge() { return auth == null ? null : auth.errorChallenge(); }

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
}
