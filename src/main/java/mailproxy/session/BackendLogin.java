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

        /** The backend misbehaved (no greeting, XCLIENT refused, garbage): temporary failure. */
        record Broken(String reason) implements Result {}
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
     * passed on to the client by the session; null when it sent none (the session sends the
     * proxy's own).
     */
    default String errorChallenge() { return null; }

    /** Starts TLS on a backend connection after its STARTTLS/STLS go-ahead. */
    @FunctionalInterface
    interface BackendTls {
        void upgrade(Connection backend, Target target) throws IOException;
    }
}
