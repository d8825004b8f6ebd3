package mailproxy.imap;

import java.io.EOFException;
import java.io.IOException;
import mailproxy.sasl.Credentials;
import mailproxy.session.Answer;
import mailproxy.session.Outcome;
import mailproxy.session.ProtocolSession;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Connection;
import mailproxy.wire.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IMAP client, from greeting to relay: the not-authenticated state of RFC 9051 §6.1
 * and §6.2 (and RFC 3501, which most clients still speak), with SASL-IR (RFC 4959),
 * LITERAL+ (RFC 7888) and ID (RFC 2971). The proxy answers everything until the client
 * has given credentials; then the backend takes over and the proxy only copies bytes.
 */
public final class ImapSession implements ProtocolSession {
    private static final Logger log = LoggerFactory.getLogger(ImapSession.class);

    private final Session session;
    private final Connection client;
    private ImapParser parser;
    /** The client's ID fields (RFC 2971), filtered, for the backend's ID; empty until it sends ID. */
    private java.util.List<String> clientId = java.util.List.of();

    public ImapSession(Session session) {
        this.session = session;
        this.client = session.client();
    }

    @Override
    public Replies replies() { return ImapReplies.ENDINGS; }

    @Override
    public boolean greet() throws IOException {
        client.write(ImapReplies.greeting(capabilities(), session.serverName()));
        parser = new ImapParser(client, session.limits().lineLength(), session.limits().literalSize());
        return true;
    }

    @Override
    public Answer next() throws IOException, InterruptedException {
        ImapCommand command = parser.read();
        if (command == null) throw new EOFException("client closed the connection");
        return handle(command);
    }

    private String capabilities() {
        return CapabilityMemo.capabilities(session.listener(), session.canStartTls(), session.tlsRequired());
    }

    /** Answers one command. */
    private Answer handle(ImapCommand command) throws IOException, InterruptedException {
        String tag = command.tag();
        switch (command) {
            case ImapCommand.Capability c ->
                    client.write(ImapReplies.untagged("CAPABILITY " + capabilities()) + ImapReplies.tagged(tag, "OK CAPABILITY completed"));
            case ImapCommand.Noop n -> client.write(ImapReplies.tagged(tag, "OK NOOP completed"));
            case ImapCommand.Logout l -> {
                // RFC 9051 §6.1.3: untagged BYE, then the tagged OK, then close
                client.write(ImapReplies.untagged("BYE " + LogSafe.oneLine(session.serverName()) + " logging out")
                        + ImapReplies.tagged(tag, "OK LOGOUT completed"));
                session.outcome(Outcome.LOGOUT);
                return Answer.END;
            }
            case ImapCommand.Id id -> {
                // RFC 2971 §3.1: the server MUST answer with an untagged ID; nginx answers BAD,
                // which makes clients that send ID first give up
                if (log.isDebugEnabled()) log.debug("client ID {}", ClientId.forLog(id.params()));
                // kept for the backend's ID after login (send-id), bounded and without x-* fields
                clientId = ClientId.filter(id.params());
                client.write(ImapReplies.ID + ImapReplies.tagged(tag, "OK ID completed"));
            }
            case ImapCommand.Login l when session.tlsRequired() -> {
                return error(tag, ImapReplies.TLS_FIRST);
            }
            case ImapCommand.Authenticate a when session.tlsRequired() -> {
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
                if (!session.canStartTls()) return error(tag, session.secure() ? "BAD TLS is already active" : "BAD STARTTLS is not available");
                // RFC 9051 §6.2.1: tagged OK, then the handshake; what the client sent after
                // STARTTLS is discarded unread, and it must ask for CAPABILITY again
                client.write(ImapReplies.tagged(tag, "OK Begin TLS negotiation now"));
                session.startTls();
                clientId = java.util.List.of(); // nothing said before TLS counts (RFC 3207 §4.2's rule)
            }
            case ImapCommand.NotYet n -> {
                return error(tag, "BAD Log in first");
            }
            case ImapCommand.Unknown u -> {
                return error(tag, "BAD Unknown command");
            }
            case ImapCommand.Invalid i when i.close() -> {
                client.write(ImapReplies.tagged(tag, "BAD " + i.reason()) + ImapReplies.BYE_CLOSING);
                session.outcome(Outcome.PROTOCOL_ERROR);
                return Answer.END;
            }
            case ImapCommand.Invalid i -> {
                return error(tag, "BAD " + i.reason());
            }
        }
        return Answer.DONE;
    }

    /**
     * RFC 9051 §6.2.2: "If the client wishes to cancel an authentication exchange, it issues
     * a line consisting of a single '*'. If the server receives such a response, or if it
     * receives an invalid base64 string ..., it MUST reject the AUTHENTICATE command by
     * sending a tagged BAD response."
     */
    private Answer authenticate(ImapCommand.Authenticate a) throws IOException, InterruptedException {
        String tag = a.tag();
        return session.authenticateAndLogin(new Session.Auth(a.mechanism(), a.initialResponse(), this::challenge,
                ImapReplies.ENDINGS, text -> ImapReplies.tagged(tag, text),
                c -> new ImapBackendLogin(session, tag, c, clientId)));
    }

    /** RFC 9051 §7.5: continue-req = "+" SP (resp-text / base64) CRLF; the answer is one line. */
    private String challenge(String base64) throws IOException {
        client.write(ImapReplies.continuation(base64));
        return session.readLine();
    }

    private Answer login(String tag, Credentials c) throws IOException, InterruptedException {
        return Answer.afterLogin(session.login(c, null, new ImapBackendLogin(session, tag, c, clientId), null));
    }

    /** A tagged error, counted toward max-errors by the command loop. */
    private static Answer error(String tag, String text) {
        return Answer.error(ImapReplies.tagged(tag, text));
    }
}
