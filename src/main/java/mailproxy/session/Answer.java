package mailproxy.session;

/**
 * What a protocol handler made of one command, for the one command loop that runs every
 * protocol ({@link CommandLoop}): go on, stop, or an error the loop sends and counts
 * toward limits.max-errors. Modelled on go-imap's readCommand (a handler returns an error,
 * one block turns it into the reply) and go-smtp's protocolError (errors counted in one
 * place).
 */
public sealed interface Answer {
    /** Answered (the reply is sent): read the next command. */
    record Done() implements Answer {}

    /** The session is over; the handler has sent its last reply and set the outcome. */
    record End() implements Answer {}

    /**
     * A command the protocol refuses: the loop sends {@code reply} (whole protocol text, from
     * the protocol's reply writer) and counts it; past max-errors the protocol's
     * too-many-errors reply follows and the session ends.
     */
    record Error(String reply) implements Answer {}

    /**
     * A login the router or the backend refused, its reply sent already: counted like an
     * invalid command (nginx counts only those).
     */
    record LoginRefused() implements Answer {}

    Answer DONE = new Done();
    Answer END = new End();
    Answer LOGIN_REFUSED = new LoginRefused();

    static Answer error(String reply) { return new Error(reply); }

    /** A login's answer for the loop: refused and may retry → counted; otherwise over (relay or close). */
    static Answer afterLogin(Next next) { return next.goOn() ? LOGIN_REFUSED : END; }
}
