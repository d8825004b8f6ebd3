package mailproxy.session;

import mailproxy.sasl.SaslException;

/**
 * The texts a protocol answers with where the session, not the protocol, sees what
 * happened. End-of-session replies are whole protocol text (CRLF included) sent as they
 * are; SASL failure texts are one line without CRLF that the protocol makes its error
 * reply of (IMAP adds the tag), counted toward max-errors like any error.
 */
public interface Replies {
    /**
     * The one line end of every text protocol here (RFC 5321 §2.3.8, RFC 9051 §2.2, RFC 1939
     * §3, RFC 5804 §4): the protocols' reply writers end their lines with it, nothing else
     * spells it.
     */
    String CRLF = "\r\n";

    /** A line past limits.line-length; the session closes after it. */
    String lineTooLong();

    /** A line past limits.line-length inside a SASL exchange (SMTP has its own, RFC 4954 §6). */
    default String saslLineTooLong() { return lineTooLong(); }

    /** No complete command within limits.timeout; the session closes after it. */
    String timeout();

    /**
     * After the error that reached limits.max-errors, before the close; empty for a silent
     * close (POP3, as nginx does).
     */
    String tooManyErrors();

    /**
     * True when a close on the proxy's initiative (max-errors, an overlong line) should read
     * on briefly first, so the last reply is not lost to a TCP reset (SMTP; {@link Linger}).
     */
    default boolean lingerOnClose() { return false; }

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

    /**
     * A bug of ours (an exception no step of the story expects) ended the session while the
     * client was at a prompt of ours, before the relay: the protocol's "temporary failure,
     * closing" words, then the close (docs/SECURITY.md, "The pre-auth dialogue is bounded";
     * {@link InternalErrorReply} says when it is sent). Names no cause: that is in the
     * server's log only.
     */
    String internalError();

    /**
     * After a relayed session was kicked (the operator moved its user, drained its server,
     * or a reload rebalanced; README, "Moving users"): the protocol's words for "reconnect",
     * sent between two of the backend's responses, then the close. Empty: close without a
     * word (a protocol with no unsolicited response).
     */
    String kicked();

    /**
     * How the backend's responses end in the relay, so that {@link #kicked()} lands between
     * two of them; null for a protocol whose sessions are never kicked with a line.
     */
    default mailproxy.wire.ResponseEnds.Syntax responseSyntax() { return null; }

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
