package mailproxy.session;

import mailproxy.sasl.SaslException;

/**
 * The texts a protocol answers with where the session, not the protocol, sees what
 * happened. End-of-session replies are whole protocol text (CRLF included) sent as they
 * are; SASL failure texts go through the protocol's own error path (IMAP adds the tag,
 * every protocol counts it toward max-errors).
 */
public interface Replies {
    /** A line past limits.line-length; the session closes after it. */
    String lineTooLong();

    /** No complete command within limits.timeout; the session closes after it. */
    String timeout();

    /**
     * Instead of the greeting: this client address has guard.max-connections-per-ip
     * connections open already; the session closes after it.
     */
    String tooManyConnections();

    /**
     * Instead of the login's success: the user has guard.max-sessions-per-user sessions
     * open already; the session closes after it.
     */
    String tooManySessions();

    /** The client cancelled an AUTH exchange with "*". */
    String authCancelled();

    /** The client's AUTH response was not base64 or not the mechanism's format. */
    String authMalformed();

    /** A mechanism this listener does not offer. */
    String authUnsupported();

    /** The mechanism ran but proves nothing (EXTERNAL without a verified certificate). */
    String authFailed();

    /** The one mapping from a failed SASL exchange to the protocol's reply. */
    default String forSasl(SaslException e) {
        return switch (e.kind()) {
            case CANCELLED -> authCancelled();
            case MALFORMED -> authMalformed();
            case UNSUPPORTED -> authUnsupported();
            case REFUSED -> authFailed();
        };
    }
}
