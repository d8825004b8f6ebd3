package mailproxy.sieve;

import java.io.EOFException;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import mailproxy.session.Answer;
import mailproxy.session.Outcome;
import mailproxy.session.ProtocolSession;
import mailproxy.session.Replies;
import mailproxy.session.Session;
import mailproxy.wire.Connection;

/**
 * One ManageSieve client (RFC 5804), from the capability greeting to the relay: the
 * proxy answers CAPABILITY, NOOP, STARTTLS, LOGOUT and AUTHENTICATE itself (every
 * mechanism of the listener's auth: PLAIN, LOGIN, CRAM-MD5, EXTERNAL, OAUTHBEARER,
 * XOAUTH2), logs in to the backend, and then only copies bytes; PUTSCRIPT, GETSCRIPT and
 * the rest are the backend's business.
 */
public final class SieveSession implements ProtocolSession {
    /** Commands that need a login first (RFC 5804 §2.3 - §2.12, §2.14). */
    private static final Set<String> AFTER_LOGIN = Set.of("HAVESPACE", "PUTSCRIPT", "LISTSCRIPTS", "SETACTIVE", "GETSCRIPT",
            "DELETESCRIPT", "RENAMESCRIPT", "CHECKSCRIPT", "UNAUTHENTICATE");

    private final Session session;
    private final Connection client;
    private SieveParser parser;

    public SieveSession(Session session) {
        this.session = session;
        this.client = session.client();
    }

    @Override
    public Replies replies() { return SieveReplies.ENDINGS; }

    @Override
    public boolean greet() throws IOException {
        // RFC 5804 §1.7: the greeting is the capability list and an OK
        client.write(SieveReplies.capabilities(session, SieveReplies.ok(session.serverName() + " ManageSieve ready.")));
        parser = new SieveParser(client, session.limits().lineLength(), session.limits().literalSize());
        return true;
    }

    @Override
    public Answer next() throws IOException, InterruptedException {
        SieveCommand command = parser.read();
        if (command == null) throw new EOFException("client closed the connection");
        return switch (command) {
            case SieveCommand.Invalid i when i.close() -> {
                client.write(SieveReplies.bye(i.reason() + "."));
                session.outcome(Outcome.PROTOCOL_ERROR);
                yield Answer.END;
            }
            case SieveCommand.Invalid i -> error(SieveReplies.no(i.reason() + "."));
            case SieveCommand.Parsed p -> handle(p.name(), p.args());
        };
    }

    private Answer handle(String name, List<String> args) throws IOException, InterruptedException {
        switch (name) {
            case "CAPABILITY" -> {
                if (!args.isEmpty()) return error(SieveReplies.no("CAPABILITY takes no arguments."));
                client.write(SieveReplies.capabilities(session, SieveReplies.ok("Capability completed.")));
            }
            case "NOOP" -> {
                // RFC 5804 §2.13: NOOP [SP string]; the string comes back in a TAG response code
                if (args.size() > 1) return error(SieveReplies.no("NOOP takes one string at most."));
                client.write(args.isEmpty() ? SieveReplies.ok("NOOP completed.") : SieveReplies.okTag(args.get(0)));
            }
            case "LOGOUT" -> {
                // RFC 5804 §2.3: OK, then the server closes
                client.write(SieveReplies.ok("Logout completed."));
                session.outcome(Outcome.LOGOUT);
                return Answer.END;
            }
            case "STARTTLS" -> {
                if (!session.canStartTls()) {
                    return error(SieveReplies.no(session.secure() ? "TLS is already active." : "STARTTLS is not available."));
                }
                client.write(SieveReplies.ok("Begin TLS negotiation now."));
                session.startTls();
                // RFC 5804 §2.2: "After the TLS layer is established, the server MUST re-issue
                // the capability results, followed by an OK response."
                client.write(SieveReplies.capabilities(session, SieveReplies.ok("TLS negotiation successful.")));
            }
            case "AUTHENTICATE" -> {
                if (args.isEmpty() || args.size() > 2) return error(SieveReplies.no("AUTHENTICATE takes a mechanism and an initial response."));
                if (session.tlsRequired()) return error(SieveReplies.TLS_FIRST);
                return authenticate(args.get(0), args.size() == 2 ? args.get(1) : null);
            }
            default -> {
                return error(SieveReplies.no(AFTER_LOGIN.contains(name) ? "Authenticate first." : "Unknown command."));
            }
        }
        return Answer.DONE;
    }

    /**
     * RFC 5804 §2.1: AUTHENTICATE auth-type [SP string] *(CRLF string); challenges are
     * strings too, and an answer that is not one ends the exchange as malformed.
     */
    private Answer authenticate(String mechanism, String initialResponse) throws IOException, InterruptedException {
        try {
            return session.authenticateAndLogin(new Session.Auth(mechanism, initialResponse, this::challenge,
                    SieveReplies.ENDINGS, SieveReplies::line, c -> new SieveBackendLogin(session, c)));
        } catch (SieveParser.MalformedResponse e) {
            return error(SieveReplies.line(SieveReplies.ENDINGS.authMalformed()));
        }
    }

    /** A challenge is a string on a line of its own, and so is the answer (RFC 5804 §2.1). */
    private String challenge(String base64) throws IOException {
        client.write(SieveReplies.line(SieveReplies.string(base64)));
        return parser.readString();
    }

    /** An error reply, counted toward max-errors by the command loop. */
    private static Answer error(String reply) {
        return Answer.error(reply);
    }
}
