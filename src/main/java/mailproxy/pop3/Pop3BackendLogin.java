package mailproxy.pop3;

import java.io.IOException;
import mailproxy.config.Backend;
import mailproxy.route.Route;
import mailproxy.sasl.SaslServer;
import mailproxy.server.BackendLogin;
import mailproxy.wire.LogSafe;
import mailproxy.server.SessionContext;
import mailproxy.wire.Addresses;
import mailproxy.wire.Connection;

/**
 * Logs in to a POP3 backend for the client: greeting, optional XCLIENT (Dovecot honours it
 * from login_trusted_networks), then USER/PASS or AUTH PLAIN. The backend's last reply is
 * what the client sees.
 */
final class Pop3BackendLogin implements BackendLogin {
    private final SessionContext ctx;

    Pop3BackendLogin(SessionContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Result login(Connection b, Route.Ok route) throws IOException {
        int max = ctx.limits().backendLineLength();
        String greeting = b.readLine(max);
        if (greeting == null || !greeting.startsWith("+OK")) return new Result.Broken("greeting: " + LogSafe.backendLine(greeting));
        Backend.Pop3 options = ctx.target().options().pop3();
        if (options != null && options.tls() == Backend.Tls.STARTTLS) {
            b.writeLine("STLS");
            String reply = b.readLine(max);
            if (reply == null || !reply.startsWith("+OK")) return new Result.Broken("STLS refused: " + LogSafe.backendLine(reply));
            ctx.upgradeBackend(b, ctx.target());
        }
        if (options != null && options.xclient()) {
            b.writeLine("XCLIENT ADDR=" + Addresses.ip(ctx.clientAddress().getAddress())
                    + " PORT=" + ctx.clientAddress().getPort());
            String reply = b.readLine(max);
            if (reply == null || !reply.startsWith("+OK")) return new Result.Broken("XCLIENT refused: " + LogSafe.backendLine(reply));
        }
        String user = route.user();
        String pass = route.password();
        if (options != null && options.login() == Backend.Pop3Login.AUTH_PLAIN) {
            // RFC 5034 §4 with an initial response; any byte is safe inside base64
            return finish(b, "AUTH PLAIN " + SaslServer.encode("\0" + user + "\0" + pass), max);
        }
        // USER/PASS carry the values on a line: a CR, LF or NUL decoded from a client's
        // base64 would smuggle a second command to the backend (RFC 1939 §3).
        if (!lineSafe(user) || !lineSafe(pass)) return new Result.Refused(Pop3Session.AUTH_FAILED);
        b.writeLine("USER " + user);
        String reply = b.readLine(max);
        if (reply == null) return new Result.Broken("closed after USER");
        if (!reply.startsWith("+OK")) return new Result.Refused(reply + "\r\n");
        return finish(b, "PASS " + pass, max);
    }

    private static Result finish(Connection b, String command, int max) throws IOException {
        b.writeLine(command);
        String reply = b.readLine(max);
        if (reply == null) return new Result.Broken("closed during login");
        if (reply.startsWith("+OK")) return new Result.Accepted(reply + "\r\n");
        if (reply.startsWith("-ERR")) return new Result.Refused(reply + "\r\n");
        return new Result.Broken("login reply: " + LogSafe.backendLine(reply));
    }

    static boolean lineSafe(String s) {
        return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 && s.indexOf('\0') < 0;
    }

    @Override
    public void rejected(Route.Reject reject) throws IOException {
        ctx.client().writeLine("-ERR " + LogSafe.oneLine(reject.message()));
    }

    @Override
    public void unavailable() throws IOException {
        ctx.client().write(Pop3Session.TEMP_FAILURE);
    }
}
