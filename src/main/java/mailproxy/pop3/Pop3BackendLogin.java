package mailproxy.pop3;

import java.io.IOException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import mailproxy.config.Backend;
import mailproxy.route.Route;
import mailproxy.route.Target;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.OAuth;
import mailproxy.sasl.SaslServer;
import mailproxy.session.BackendLogin;
import mailproxy.session.Session;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;

/**
 * Logs in to a POP3 backend for the client: greeting, optional XCLIENT (Dovecot honours it
 * from login_trusted_networks), then USER/PASS or AUTH PLAIN. The backend's last reply is
 * what the client sees.
 */
final class Pop3BackendLogin implements BackendLogin {
    /** RFC 2449 §4: CAPA lines; more is garbage. */
    private static final int MAX_CAPA_LINES = 100;
    /** RFC 5034 §4: an AUTH command with its initial response may be at most 255 octets. */
    private static final int MAX_AUTH_LINE = 255;

    private final Session session;
    /** What the client logged in with: a token mechanism is used towards the backend too. */
    private final Credentials client;

    Pop3BackendLogin(Session session, Credentials client) {
        this.session = session;
        this.client = client;
    }

    @Override
    public Result login(Connection b, Target target, Route.Ok route, BackendTls tls) throws IOException {
        int max = session.limits().backendLineLength();
        String greeting = b.readLine(max);
        if (greeting == null || !greeting.startsWith("+OK")) return new Result.Broken("greeting: " + LogSafe.backendLine(greeting));
        Backend.Pop3 options = target.options().pop3();
        if (options != null && options.tls() == Backend.Tls.STARTTLS) {
            b.writeLine("STLS");
            String reply = b.readLine(max);
            if (reply == null || !reply.startsWith("+OK")) return new Result.Broken("STLS refused: " + LogSafe.backendLine(reply));
            tls.upgrade(b, target);
        }
        if (options != null && options.xclient()) {
            b.writeLine("XCLIENT ADDR=" + Addresses.ip(session.clientAddress().getAddress())
                    + " PORT=" + session.clientAddress().getPort());
            String reply = b.readLine(max);
            if (reply == null || !reply.startsWith("+OK")) return new Result.Broken("XCLIENT refused: " + LogSafe.backendLine(reply));
        }
        // from here on the backend answers what the client sent (its user name and password)
        return BackendLogin.clientInput(() -> credentials(b, route, options, max));
    }

    /** The login itself: a token mechanism, AUTH PLAIN or USER/PASS. */
    private Result credentials(Connection b, Route.Ok route, Backend.Pop3 options, int max) throws IOException {
        String user = route.user();
        String pass = route.password();
        if (OAuth.isToken(client.method())) {
            String mechanism = OAuth.backendMechanism(client, user, pass, saslMechanisms(b, max));
            if (mechanism != null) return token(b, mechanism, OAuth.backendResponse(mechanism, user, pass), max);
        }
        if (options != null && options.login() == Backend.Pop3Login.AUTH_PLAIN) {
            // RFC 5034 §4 with an initial response; any byte is safe inside base64
            return finish(b, "AUTH PLAIN " + SaslServer.encode("\0" + user + "\0" + pass), max);
        }
        // USER/PASS carry the values on a line: a CR, LF or NUL decoded from a client's
        // base64 would smuggle a second command to the backend (RFC 1939 §3).
        if (!lineSafe(user) || !lineSafe(pass)) return new Result.Refused(Pop3Replies.AUTH_FAILED);
        b.writeLine("USER " + user);
        String reply = b.readLine(max);
        if (reply == null) return new Result.Broken("closed after USER");
        if (!reply.startsWith("+OK")) return new Result.Refused(Pop3Replies.line(reply));
        return finish(b, "PASS " + pass, max);
    }

    @Override
    public String errorChallenge() { return errorChallenge; }

    /** The backend's error challenge to a token login (base64), passed on to the client. */
    private String errorChallenge;

    /** RFC 2449 CAPA: the mechanisms of the SASL line, upper-case (none if CAPA fails). */
    private static Set<String> saslMechanisms(Connection b, int max) throws IOException {
        Set<String> out = new HashSet<>();
        b.writeLine("CAPA");
        String reply = b.readLine(max);
        if (reply == null) throw new IOException("closed after CAPA");
        if (!reply.startsWith("+OK")) return out;
        for (int i = 0; i < MAX_CAPA_LINES; i++) {
            String line = b.readLine(max);
            if (line == null) throw new IOException("closed inside CAPA");
            if (line.equals(".")) return out;
            if (line.regionMatches(true, 0, "SASL ", 0, 5)) {
                for (String m : line.substring(5).split(" ")) if (!m.isEmpty()) out.add(m.toUpperCase(Locale.ROOT));
            }
        }
        throw new IOException("CAPA longer than " + MAX_CAPA_LINES + " lines");
    }

    /**
     * RFC 5034 §4: AUTH with the token mechanism; the initial response on the line when the
     * line stays within 255 octets, else after the server's "+ ". A "+ " after the response
     * is the RFC 7628 error challenge: answered, kept for the client, then -ERR follows.
     */
    private Result token(Connection b, String mechanism, String response, int max) throws IOException {
        String name = mechanism.toUpperCase(Locale.ROOT);
        String reply;
        if (("AUTH " + name + " " + response).length() + 2 <= MAX_AUTH_LINE) {
            b.writeLine("AUTH " + name + " " + response);
        } else {
            b.writeLine("AUTH " + name);
            reply = b.readLine(max);
            if (reply == null) return new Result.Broken("closed during login");
            if (!reply.startsWith("+ ") && !reply.equals("+")) return result(reply);
            b.writeLine(response);
        }
        reply = b.readLine(max);
        if (reply != null && (reply.startsWith("+ ") || reply.equals("+"))) {
            errorChallenge = reply.substring(1).trim();
            b.writeLine(OAuth.dummyResponse(mechanism));
            reply = b.readLine(max);
        }
        if (reply == null) return new Result.Broken("closed during login");
        return result(reply);
    }

    private static Result result(String reply) {
        if (reply.startsWith("+OK")) return new Result.Accepted(Pop3Replies.line(reply));
        if (reply.startsWith("-ERR")) return new Result.Refused(Pop3Replies.line(reply));
        return new Result.Broken("login reply: " + LogSafe.backendLine(reply));
    }

    private static Result finish(Connection b, String command, int max) throws IOException {
        b.writeLine(command);
        String reply = b.readLine(max);
        if (reply == null) return new Result.Broken("closed during login");
        return result(reply);
    }

    static boolean lineSafe(String s) {
        return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 && s.indexOf('\0') < 0;
    }

    @Override
    public void rejected(Route.Reject reject) throws IOException {
        session.client().write(Pop3Replies.err(LogSafe.oneLine(reject.message())));
    }

    @Override
    public void unavailable() throws IOException {
        session.client().write(Pop3Replies.TEMP_FAILURE);
    }
}
