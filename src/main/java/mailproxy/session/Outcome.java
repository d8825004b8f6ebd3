package mailproxy.session;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Locale;
import mailproxy.wire.Connection;

/**
 * How a session ended, as its log line says it ({@code outcome=client-closed}). One value
 * per reason, so that the same event is named the same way in every protocol.
 */
public enum Outcome {
    /** Still running, or ended without anything more specific to say. */
    CLOSED,
    // before login: the client's doing
    /** The client closed the connection (between commands or inside AUTH). */
    CLIENT_CLOSED,
    /** The client's connection failed (reset, broken pipe). */
    CLIENT_GONE,
    /** IMAP LOGOUT. */
    LOGOUT,
    /** POP3 and SMTP QUIT. */
    QUIT,
    /** No complete command within limits.timeout. */
    TIMEOUT,
    /** The login not done within limits.login-lifetime of the accept. */
    LOGIN_TIMEOUT,
    /** A line longer than limits.line-length. */
    LINE_TOO_LONG,
    /** limits.max-errors invalid commands or failed logins. */
    TOO_MANY_ERRORS,
    /** Input the protocol cannot recover from (an IMAP literal past the limit). */
    PROTOCOL_ERROR,
    /** SMTP: the client spoke before the greeting delay ended. */
    PREGREET,
    /** The client stopped reading: a write made no progress for its timeout. */
    WRITE_STALLED,
    /** The TLS handshake with the client failed. */
    TLS_FAILED,
    /** A PROXY-protocol listener: the peer is not in trusted-proxies. */
    UNTRUSTED_PROXY,
    /** A PROXY-protocol listener: no valid header within limits.timeout. */
    BAD_PROXY_HEADER,
    // the guard
    /** guard.max-connections-per-ip reached for this client address. */
    TOO_MANY_CONNECTIONS,
    /** guard.max-sessions-per-user reached for this user. */
    TOO_MANY_SESSIONS,
    /** This address failed to log in too often and is blocked for guard.block-time. */
    BLOCKED,
    /** state.on-redis-down = refuse and the shared state cannot be reached. */
    STATE_UNAVAILABLE,
    // the login
    /** The router refused the login for good. */
    REJECTED,
    /** The router could not answer (auth server down, no backend for the protocol). */
    ROUTER_UNAVAILABLE,
    /** No backend server could be connected to (or none greeted). */
    BACKEND_UNREACHABLE,
    /** The TLS handshake with the backend failed. */
    BACKEND_TLS_FAILED,
    /** The backend misbehaved during the login. */
    BACKEND_FAILED,
    /** The backend refused the last login and the client went away. */
    BACKEND_REFUSED,
    // the relay
    BACKEND_CLOSED,
    IDLE_TIMEOUT,
    BACKEND_ERROR,
    CLIENT_ERROR,
    RELAY_ERROR,
    // the proxy's own doing
    /** Closed on purpose so the client reconnects elsewhere: the operator moved its user, drained its server, or a reload rebalanced (README, "Moving users"). */
    KICKED,
    /** The server stopped while the session was waiting. */
    SHUTDOWN,
    /** A bug: logged with its stack trace. */
    INTERNAL_ERROR;

    private final String logName = name().toLowerCase(Locale.ROOT).replace('_', '-');

    /** How a relay's end reads in the session's log line. */
    static Outcome of(mailproxy.wire.Relay.End end) {
        return switch (end) {
            case BACKEND_CLOSED -> BACKEND_CLOSED;
            case CLIENT_CLOSED -> CLIENT_CLOSED;
            case IDLE_TIMEOUT -> IDLE_TIMEOUT;
            case WRITE_STALLED -> WRITE_STALLED;
            case BACKEND_ERROR -> BACKEND_ERROR;
            case CLIENT_ERROR -> CLIENT_ERROR;
            case RELAY_ERROR -> RELAY_ERROR;
            case KICKED -> KICKED;
        };
    }

    /**
     * How an I/O failure that ended the session before the relay reads: the login's
     * lifetime ran out (a stalled write or a read past it), the client stopped reading, its
     * connection broke, or anything else it did.
     */
    static Outcome ofClientFailure(IOException e, Connection client) {
        if (client.lifetimeOver() && (client.writeStalled() || e instanceof SocketTimeoutException)) {
            return LOGIN_TIMEOUT;
        }
        if (client.writeStalled()) return WRITE_STALLED;
        if (e instanceof SocketException) return CLIENT_GONE;
        return CLIENT_ERROR;
    }

    /** A failed TLS handshake with the client: past the login's lifetime, that is what ended it. */
    static Outcome ofClientTlsFailure(Connection client) {
        return client.lifetimeOver() ? LOGIN_TIMEOUT : TLS_FAILED;
    }

    /** The name in the session's log line, e.g. {@code client-closed}. */
    @Override
    public String toString() { return logName; }
}
