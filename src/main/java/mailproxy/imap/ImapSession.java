package mailproxy.imap;

import java.io.IOException;
import java.net.SocketTimeoutException;
import mailproxy.config.Protocol;
import mailproxy.route.LoginRequest;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
import mailproxy.wire.LogSafe;
import mailproxy.server.LoginFlow;
import mailproxy.server.SessionContext;
import mailproxy.wire.Connection;
import mailproxy.wire.LineTooLongException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IMAP client, from greeting to relay: the not-authenticated state of RFC 9051 §6.1
 * and §6.2 (and RFC 3501, which most clients still speak), with SASL-IR (RFC 4959),
 * LITERAL+ (RFC 7888) and ID (RFC 2971). The proxy answers everything until the client
 * has given credentials; then the backend takes over and the proxy only copies bytes.
 */
public final class ImapSession {
    private static final Logger log = LoggerFactory.getLogger(ImapSession.class);

    private final SessionContext ctx;
    private final Connection client;
    private final ImapBackendLogin backendLogin;
    private int errors;
    private int attempts;

    public ImapSession(SessionContext ctx) {
        this.ctx = ctx;
        this.client = ctx.client();
        this.backendLogin = new ImapBackendLogin(ctx);
    }

    public void run() throws IOException, InterruptedException {
        client.readTimeout(ctx.limits().timeout());
        client.write(ImapReplies.greeting(capabilities(), ctx.serverName()));
        ImapParser parser = new ImapParser(client, ctx.limits().lineLength(), ctx.limits().literalSize());
        try {
            while (true) {
                ImapCommand command = parser.read();
                if (command == null) {
                    ctx.outcome("client-closed");
                    return;
                }
                if (!handle(command)) return;
            }
        } catch (LineTooLongException e) {
            // the tag of an overlong line is unknown, and the rest of it cannot be told from
            // the next command: an untagged BYE and close (DESIGN §3)
            client.write(ImapReplies.BYE_LINE_TOO_LONG);
            ctx.outcome("line-too-long");
        } catch (SocketTimeoutException e) {
            client.write(ImapReplies.BYE_IDLE);
            ctx.outcome("timeout");
        }
    }

    private String capabilities() {
        return ImapReplies.capabilities(ctx.listener(), ctx.canStartTls(), ctx.tlsRequired());
    }

    /** Answers one command; false ends the session. */
    private boolean handle(ImapCommand command) throws IOException, InterruptedException {
        String tag = command.tag();
        switch (command) {
            case ImapCommand.Capability c ->
                    client.write("* CAPABILITY " + capabilities() + "\r\n" + ImapReplies.tagged(tag, "OK CAPABILITY completed"));
            case ImapCommand.Noop n -> client.write(ImapReplies.tagged(tag, "OK NOOP completed"));
            case ImapCommand.Logout l -> {
                // RFC 9051 §6.1.3: untagged BYE, then the tagged OK, then close
                client.write("* BYE " + LogSafe.oneLine(ctx.serverName()) + " logging out\r\n"
                        + ImapReplies.tagged(tag, "OK LOGOUT completed"));
                ctx.outcome("logout");
                return false;
            }
            case ImapCommand.Id id -> {
                // RFC 2971 §3.1: the server MUST answer with an untagged ID; nginx answers BAD,
                // which makes clients that send ID first give up
                if (log.isDebugEnabled()) log.debug("client ID {}", LogSafe.text(String.valueOf(id.params())));
                client.write(ImapReplies.ID + ImapReplies.tagged(tag, "OK ID completed"));
            }
            case ImapCommand.Login l when ctx.tlsRequired() -> {
                return error(tag, ImapReplies.TLS_FIRST);
            }
            case ImapCommand.Authenticate a when ctx.tlsRequired() -> {
                return error(tag, ImapReplies.TLS_FIRST);
            }
            case ImapCommand.Login l -> {
                if (l.user().isEmpty()) return error(tag, "BAD Empty user name");
                return login(tag, Credentials.plain(l.user(), l.password()));
            }
            case ImapCommand.Authenticate a -> {
                return authenticate(a);
            }
            case ImapCommand.StartTls s -> {
                if (!ctx.canStartTls()) return error(tag, ctx.secure() ? "BAD TLS is already active" : "BAD STARTTLS is not available");
                // RFC 9051 §6.2.1: tagged OK, then the handshake; what the client sent after
                // STARTTLS is discarded unread, and it must ask for CAPABILITY again
                client.write(ImapReplies.tagged(tag, "OK Begin TLS negotiation now"));
                ctx.startTls();
            }
            case ImapCommand.NotYet n -> {
                return error(tag, "BAD Log in first");
            }
            case ImapCommand.Unknown u -> {
                return error(tag, "BAD Unknown command");
            }
            case ImapCommand.Invalid i when i.close() -> {
                client.write(ImapReplies.tagged(tag, "BAD " + i.reason()) + ImapReplies.BYE_CLOSING);
                ctx.outcome("protocol-error");
                return false;
            }
            case ImapCommand.Invalid i -> {
                return error(tag, "BAD " + i.reason());
            }
        }
        return true;
    }

    /**
     * RFC 9051 §6.2.2: "If the client wishes to cancel an authentication exchange, it issues
     * a line consisting of a single '*'. If the server receives such a response, or if it
     * receives an invalid base64 string ..., it MUST reject the AUTHENTICATE command by
     * sending a tagged BAD response."
     */
    private boolean authenticate(ImapCommand.Authenticate a) throws IOException, InterruptedException {
        if (!ctx.listener().offers(a.mechanism())) return error(a.tag(), "NO Unsupported authentication mechanism");
        Credentials credentials;
        try {
            credentials = ctx.authenticate(a.mechanism(), a.initialResponse(), this::challenge);
        } catch (SaslException e) {
            return error(a.tag(), switch (e.kind()) {
                case CANCELLED -> "BAD Authentication cancelled";
                case MALFORMED -> "BAD Invalid authentication data";
                case UNSUPPORTED -> "NO Unsupported authentication mechanism";
            });
        }
        return login(a.tag(), credentials);
    }

    /** RFC 9051 §7.5: continue-req = "+" SP (resp-text / base64) CRLF; the answer is one line. */
    private String challenge(String base64) throws IOException {
        client.write("+ " + base64 + "\r\n");
        return client.readLine(ctx.limits().lineLength());
    }

    private boolean login(String tag, Credentials c) throws IOException, InterruptedException {
        attempts++;
        backendLogin.clientTag(tag);
        LoginRequest request = new LoginRequest(Protocol.IMAP, c.method(), c.user(), c.secret(), c.salt(),
                attempts, ctx.clientAddress(), ctx.localAddress(), ctx.sessionId(), null);
        return switch (LoginFlow.attempt(ctx, request, backendLogin)) {
            case RELAYED, CLOSE -> false;
            case RETRY -> true;
        };
    }

    /** Sends a tagged error; past max-errors a BYE follows and the session ends (nginx's behaviour). */
    private boolean error(String tag, String text) throws IOException {
        if (++errors >= ctx.limits().maxErrors()) {
            client.write(ImapReplies.tagged(tag, text) + ImapReplies.BYE_TOO_MANY_ERRORS);
            ctx.outcome("too-many-errors");
            return false;
        }
        client.write(ImapReplies.tagged(tag, text));
        return true;
    }
}
