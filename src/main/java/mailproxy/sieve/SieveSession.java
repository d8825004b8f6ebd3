package mailproxy.sieve;

import java.io.EOFException;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import mailproxy.sasl.Credentials;
import mailproxy.sasl.SaslException;
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

    static final Replies REPLIES = new Replies() {
        @Override public String lineTooLong() { return SieveReplies.bye("Line too long.") + "\r\n"; }
        @Override public String timeout() { return SieveReplies.bye("Disconnected for inactivity.") + "\r\n"; }
        @Override public String tooManyConnections() {
            return "BYE (TRYLATER) " + SieveReplies.string("Too many connections from your address.") + "\r\n";
        }
        @Override public String tooManySessions() {
            return "BYE (TRYLATER) " + SieveReplies.string("Too many sessions for this user.") + "\r\n";
        }
        @Override public String authCancelled() { return SieveReplies.no("Authentication cancelled."); }
        @Override public String authMalformed() { return SieveReplies.no("Invalid authentication data."); }
        @Override public String authUnsupported() { return SieveReplies.no("Unsupported authentication mechanism."); }
        @Override public String authFailed() { return SieveReplies.AUTH_FAILED; }
    };

    private final Session session;
    private final Connection client;
    private SieveParser parser;
    private int errors;

    public SieveSession(Session session) {
        this.session = session;
        this.client = session.client();
    }

    @Override
    public Replies replies() { return REPLIES; }

    @Override
    public boolean greet() throws IOException {
        // RFC 5804 §1.7: the greeting is the capability list and an OK
        client.write(SieveReplies.capabilities(session, SieveReplies.ok(session.serverName() + " ManageSieve ready.")));
        parser = new SieveParser(client, session.limits().lineLength(), session.limits().literalSize());
        return true;
    }

    @Override
    public boolean next() throws IOException, InterruptedException {
        SieveCommand command = parser.read();
        if (command == null) throw new EOFException("client closed the connection");
        return switch (command) {
            case SieveCommand.Invalid i when i.close() -> {
                client.write(SieveReplies.bye(i.reason() + ".") + "\r\n");
                session.outcome(Outcome.PROTOCOL_ERROR);
                yield false;
            }
            case SieveCommand.Invalid i -> error(SieveReplies.no(i.reason() + "."));
            case SieveCommand.Parsed p -> handle(p.name(), p.args());
        };
    }

    private boolean handle(String name, List<String> args) throws IOException, InterruptedException {
        switch (name) {
            case "CAPABILITY" -> {
                if (!args.isEmpty()) return error(SieveReplies.no("CAPABILITY takes no arguments."));
                client.write(SieveReplies.capabilities(session, SieveReplies.ok("Capability completed.")));
            }
            case "NOOP" -> {
                // RFC 5804 §2.13: NOOP [SP string]; the string comes back in a TAG response code
                if (args.size() > 1) return error(SieveReplies.no("NOOP takes one string at most."));
                client.write(args.isEmpty() ? SieveReplies.ok("NOOP completed.") + "\r\n"
                        : "OK (TAG " + SieveReplies.string(args.get(0)) + ") \"Done\"\r\n");
            }
            case "LOGOUT" -> {
                // RFC 5804 §2.3: OK, then the server closes
                client.write(SieveReplies.ok("Logout completed.") + "\r\n");
                session.outcome(Outcome.LOGOUT);
                return false;
            }
            case "STARTTLS" -> {
                if (!session.canStartTls()) {
                    return error(SieveReplies.no(session.secure() ? "TLS is already active." : "STARTTLS is not available."));
                }
                client.write(SieveReplies.ok("Begin TLS negotiation now.") + "\r\n");
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
        return true;
    }

    /** RFC 5804 §2.1: AUTHENTICATE auth-type [SP string] *(CRLF string); challenges are strings too. */
    private boolean authenticate(String mechanism, String initialResponse) throws IOException, InterruptedException {
        if (!session.listener().offers(mechanism)) return error(REPLIES.authUnsupported());
        Credentials credentials;
        try {
            credentials = session.authenticate(mechanism, initialResponse, this::challenge);
        } catch (SaslException e) {
            return error(REPLIES.forSasl(e));
        } catch (SieveParser.MalformedResponse e) {
            return error(REPLIES.authMalformed());
        }
        if (!session.login(credentials, null, new SieveBackendLogin(session, credentials, this::challenge)).goOn()) return false;
        // a failed login counts toward max-errors like an invalid command; its NO is sent
        if (++errors < session.limits().maxErrors()) return true;
        client.write(SieveReplies.TOO_MANY_ERRORS + "\r\n");
        session.outcome(Outcome.TOO_MANY_ERRORS);
        return false;
    }

    /** A challenge is a string on a line of its own, and so is the answer (RFC 5804 §2.1). */
    private String challenge(String base64) throws IOException {
        client.write(SieveReplies.string(base64) + "\r\n");
        return parser.readString();
    }

    /** Sends an error; past max-errors a BYE follows and the session ends. */
    private boolean error(String reply) throws IOException {
        if (++errors >= session.limits().maxErrors()) {
            client.write(reply + "\r\n" + SieveReplies.TOO_MANY_ERRORS + "\r\n");
            session.outcome(Outcome.TOO_MANY_ERRORS);
            return false;
        }
        client.write(reply + "\r\n");
        return true;
    }
}
