package mailproxy.session;

import java.io.IOException;
import mailproxy.route.Route;
import mailproxy.route.Target;
import mailproxy.wire.Connection;

/**
 * The protocol-specific half of one login attempt: what to say to the backend and to the
 * client. A protocol makes a new one per attempt, carrying that attempt's facts (IMAP: the
 * client's tag; SMTP: the HELO name and the envelope); the session calls exactly one of
 * {@link #login}, {@link #rejected} or {@link #unavailable} on it.
 */
public interface BackendLogin {

    /** How the backend took the login. Replies are whole protocol text, CRLF included. */
    sealed interface Result {
        /** Logged in: send {@code replyToClient}, then relay. */
        record Accepted(String replyToClient) implements Result {}

        /**
         * The backend said no (wrong password): pass its answer on; the client may retry.
         * {@code transactionEnded}: SMTP MX mode, the backend refused the replayed MAIL, so
         * the client's transaction is over and it must send MAIL again.
         */
        record Refused(String replyToClient, boolean transactionEnded) implements Result {
            public Refused(String replyToClient) {
                this(replyToClient, false);
            }
        }

        /**
         * The backend misbehaved (no greeting, XCLIENT refused, garbage): temporary failure.
         * {@code serverFault}: whether it counts against the server's health (passive
         * marking, docs/ARCHITECTURE.md "Backend pools"); false when it went wrong on what
         * the client sent (see {@link #clientInput}).
         */
        record Broken(String reason, boolean serverFault) implements Result {
            public Broken(String reason) {
                this(reason, true);
            }
        }
    }

    /** The part of a login that sends the backend what the client gave. */
    @FunctionalInterface
    interface ClientPart {
        Result run() throws IOException;
    }

    /**
     * Runs the part of a login that carries what the client gave (its ID fields, HELO
     * name, user name and password, envelope) and makes any failure in it one that does
     * not count against the server: a backend that hangs up on an 8 KB user name or
     * refuses an overlong HELO name has answered that client, it is not down, and an
     * unauthenticated client must not be able to take servers out of their pool (which
     * would send everyone else's logins, passwords included, to the next server).
     */
    static Result clientInput(ClientPart part) {
        Result r;
        try {
            r = part.run();
        } catch (IOException e) {
            return new Result.Broken(e.toString(), false);
        }
        return r instanceof Result.Broken b ? new Result.Broken(b.reason(), false) : r;
    }

    /**
     * Greeting, optional client-address forwarding, then the login, on a connected backend.
     *
     * @param tls upgrades {@code backend} to TLS after the backend's STARTTLS go-ahead
     */
    Result login(Connection backend, Target target, Route.Ok route, BackendTls tls) throws IOException;

    /** The router refused: the protocol's failure reply carrying {@code message}. */
    void rejected(Route.Reject reject) throws IOException;

    /** Router or backend unavailable: the protocol's temporary failure reply (then close). */
    void unavailable() throws IOException;

    /**
     * The backend's own RFC 7628 §3.2.2 error challenge (base64) to a refused token login,
     * passed on to the client by the session once the backend connection is closed and the
     * guard's delay is over; null when it sent none (the session sends the proxy's own).
     */
    default String errorChallenge() { return null; }

    /** Starts TLS on a backend connection after its STARTTLS/STLS go-ahead. */
    @FunctionalInterface
    interface BackendTls {
        void upgrade(Connection backend, Target target) throws IOException;
    }
}
