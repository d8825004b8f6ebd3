package mailproxy.session;

/** What a protocol session does after {@link Session#login}. */
public sealed interface Next {
    /**
     * Logged in and the backend's answer sent: the protocol session returns, and the relay
     * runs from the top of the session's thread (a shallow stack is what an idle session
     * holds for hours).
     */
    record Relay() implements Next {}

    /**
     * Refused; the client may try again on this connection. {@code transactionEnded}: SMTP
     * MX mode, the backend refused the MAIL, so the envelope is gone.
     */
    record Retry(boolean transactionEnded) implements Next {}

    /** Refused or failed for good; the reply is sent: close. */
    record Close() implements Next {}

    Next RELAY = new Relay();
    Next RETRY = new Retry(false);
    Next CLOSE = new Close();

    /** True when the protocol session should go on reading commands. */
    default boolean goOn() { return this instanceof Retry; }
}
