package mailproxy.pop3;

import java.io.IOException;
import java.net.SocketTimeoutException;
import mailproxy.config.Protocol;
import mailproxy.route.LoginRequest;
import mailproxy.sasl.CramMd5;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.server.LoginFlow;
import mailproxy.server.SessionContext;
import mailproxy.wire.Connection;
import mailproxy.wire.LineTooLongException;

/**
 * One POP3 client, from greeting to relay (RFC 1939 AUTHORIZATION state, CAPA RFC 2449,
 * AUTH RFC 5034). The proxy answers everything until the client has given credentials;
 * then the backend takes over and the proxy only copies bytes.
 */
public final class Pop3Session {
    static final String OK = "+OK\r\n";
    /** RFC 2595 §4 / RFC 8314: with starttls = only, nothing that carries a password before TLS. */
    static final String TLS_FIRST = "-ERR Command not permitted before STLS";
    static final String AUTH_FAILED = "-ERR [AUTH] Authentication failed.\r\n";
    /** RFC 3206 §4: SYS/TEMP is "a problem which is likely to be temporary". */
    static final String TEMP_FAILURE = "-ERR [SYS/TEMP] Temporary failure, please try again later.\r\n";

    private final SessionContext ctx;
    private final Connection client;
    private final Pop3BackendLogin backendLogin;
    /** The APOP timestamp from the greeting (RFC 1939 §7), or null when APOP and CRAM-MD5 are off. */
    private final String timestamp;
    private String pendingUser;
    private int errors;
    private int attempts;

    public Pop3Session(SessionContext ctx) {
        this.ctx = ctx;
        this.client = ctx.client();
        this.backendLogin = new Pop3BackendLogin(ctx);
        // nginx shows the timestamp when APOP or CRAM-MD5 is on; clients take it as the hint
        this.timestamp = ctx.listener().pop3Apop() || ctx.listener().offers("cram-md5")
                ? CramMd5.challenge(ctx.serverName()) : null;
    }

    public void run() throws IOException, InterruptedException {
        client.readTimeout(ctx.limits().timeout());
        // RFC 1939 §7: "the POP3 server ... includes a timestamp in its banner greeting"
        client.writeLine("+OK " + ctx.serverName() + " POP3 ready" + (timestamp == null ? "" : " " + timestamp));
        while (true) {
            String line;
            try {
                line = client.readLine(ctx.limits().lineLength());
            } catch (LineTooLongException e) {
                client.writeLine("-ERR Line too long");
                ctx.outcome("line-too-long");
                return;
            } catch (SocketTimeoutException e) {
                client.writeLine("-ERR Disconnected for inactivity.");
                ctx.outcome("timeout");
                return;
            }
            if (line == null) {
                ctx.outcome("client-closed");
                return;
            }
            if (!handle(Pop3Command.parse(line))) return;
        }
    }

    /** Answers one command; false ends the session. */
    private boolean handle(Pop3Command command) throws IOException, InterruptedException {
        switch (command) {
            case Pop3Command.Capa c -> client.write(capabilities());
            case Pop3Command.Noop n -> client.write(OK);
            case Pop3Command.Quit q -> {
                // RFC 1939 §6: in AUTHORIZATION state QUIT just ends the session
                client.writeLine("+OK " + ctx.serverName() + " POP3 signing off");
                ctx.outcome("quit");
                return false;
            }
            case Pop3Command.User u when ctx.tlsRequired() -> {
                return error(TLS_FIRST);
            }
            case Pop3Command.Pass p when ctx.tlsRequired() -> {
                return error(TLS_FIRST);
            }
            case Pop3Command.Auth a when ctx.tlsRequired() -> {
                return error(TLS_FIRST);
            }
            case Pop3Command.User u -> {
                pendingUser = u.name();
                client.write(OK);
            }
            case Pop3Command.Pass p -> {
                if (pendingUser == null) return error("-ERR USER first");
                String user = pendingUser;
                pendingUser = null;
                return login(Credentials.plain(user, p.password()));
            }
            case Pop3Command.Auth a when a.mechanism() == null -> client.write(mechanismList());
            case Pop3Command.Auth a -> {
                return authenticate(a);
            }
            case Pop3Command.Apop a -> {
                if (!ctx.listener().pop3Apop()) return error("-ERR APOP not enabled");
                // RFC 1939 §7: digest = MD5(timestamp + secret) as 32 hex digits; the auth
                // server checks it against Auth-Salt and returns the backend password
                if (!CramMd5.isDigest(a.digest())) return error("-ERR APOP digest must be 32 hex digits");
                return login(new Credentials(a.name(), a.digest(), "apop", timestamp));
            }
            case Pop3Command.Stls s -> {
                if (!ctx.canStartTls()) return error(ctx.secure() ? "-ERR Already in TLS" : "-ERR STLS not enabled");
                // RFC 2595 §4: "+OK", then the handshake; the AUTHORIZATION state starts over
                client.writeLine("+OK Begin TLS negotiation");
                ctx.startTls();
                pendingUser = null;
            }
            case Pop3Command.Invalid i -> {
                return error("-ERR " + i.reply());
            }
            case Pop3Command.Unknown u -> {
                return error("-ERR Unknown command or not allowed before login");
            }
        }
        return true;
    }

    private boolean authenticate(Pop3Command.Auth a) throws IOException, InterruptedException {
        if (!ctx.listener().offers(a.mechanism())) return error("-ERR Unsupported authentication mechanism");
        Credentials credentials;
        try {
            credentials = ctx.authenticate(a.mechanism(), a.initialResponse(), this::challenge);
        } catch (SaslException e) {
            return error(switch (e.kind()) {
                case CANCELLED -> "-ERR Authentication cancelled";
                case MALFORMED -> "-ERR Invalid authentication data";
                case UNSUPPORTED -> "-ERR Unsupported authentication mechanism";
            });
        }
        return login(credentials);
    }

    /** RFC 5034 §4: "+ " followed by the base64 challenge; the response is one line. */
    private String challenge(String base64) throws IOException {
        client.writeLine("+ " + base64);
        return client.readLine(ctx.limits().lineLength());
    }

    private boolean login(Credentials c) throws IOException, InterruptedException {
        attempts++;
        LoginRequest request = new LoginRequest(Protocol.POP3, c.method(), c.user(), c.secret(), c.salt(),
                attempts, ctx.clientAddress(), ctx.localAddress(), ctx.sessionId(), null);
        return switch (LoginFlow.attempt(ctx, request, backendLogin)) {
            case RELAYED, CLOSE -> false;
            case RETRY -> true;
        };
    }

    /** Sends an error reply; past max-errors the session ends after it (nginx's behaviour). */
    private boolean error(String reply) throws IOException {
        client.writeLine(reply);
        if (++errors >= ctx.limits().maxErrors()) {
            ctx.outcome("too-many-errors");
            return false;
        }
        return true;
    }

    private String capabilities() {
        StringBuilder b = new StringBuilder("+OK Capability list follows\r\n");
        for (String cap : ctx.listener().pop3Capabilities()) b.append(cap).append("\r\n");
        if (ctx.canStartTls()) b.append("STLS\r\n");
        if (ctx.tlsRequired()) return b.append(".\r\n").toString(); // RFC 2595 §4: no USER, no SASL yet
        b.append("USER\r\n");
        if (!ctx.listener().auth().isEmpty()) {
            b.append("SASL");
            for (String m : ctx.listener().auth()) b.append(' ').append(m.toUpperCase(java.util.Locale.ROOT));
            b.append("\r\n");
        }
        return b.append(".\r\n").toString();
    }

    private String mechanismList() {
        StringBuilder b = new StringBuilder("+OK\r\n");
        for (String m : ctx.listener().auth()) b.append(m.toUpperCase(java.util.Locale.ROOT)).append("\r\n");
        return b.append(".\r\n").toString();
    }
}
