package mailproxy.envelope;

import java.util.List;

/**
 * The reply writer SMTP and LMTP share (go-smtp's writeResponse is the model): the one place
 * their reply lines are formatted and get their CRLF (RFC 5321 §4.2), and the texts both
 * speak. Each protocol keeps the texts that are its own (smtp.SmtpReply, lmtp.LmtpReplies)
 * and calls these directly: no protocol keeps a forward or a copy of its own.
 */
public final class SmtpFamilyReplies {
    private SmtpFamilyReplies() {}

    // The texts both protocols speak (LMTP is SMTP's dialect, RFC 2033 §4): the replies to
    // the verbs SmtpFamilyParser reads for both, and the shared refusals.
    /** RFC 5321 §4.2.2: 250 "Requested mail action okay, completed". */
    public static final String OK = reply(250, "2.0.0", "Ok");
    /** RFC 3463 X.1.0: "other address status", the usual answer to an accepted MAIL FROM. */
    public static final String SENDER_OK = reply(250, "2.1.0", "Ok");
    /** RFC 5321 §4.2.2: 221 "Service closing transmission channel". */
    public static final String BYE = reply(221, "2.0.0", "Bye");
    /** RFC 5321 §3.5.3: a server that will not verify SHOULD answer 252. */
    public static final String CANNOT_VRFY = reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
    /** RFC 3207 §4: the go-ahead for the TLS handshake. */
    public static final String READY_FOR_TLS = reply(220, "2.0.0", "Ready to start TLS");
    /** RFC 5321 §4.2.4: 500 for a command the server does not recognise. */
    public static final String UNRECOGNIZED = reply(500, "5.5.2", "Error: command not recognized");
    /** RFC 5321 §4.5.3.1.4 and §4.2.4: 500 for a command line over the limit. */
    public static final String LINE_TOO_LONG = reply(500, "5.5.2", "Error: line too long");
    /** RFC 5321 §4.2.4: 502 "Command not implemented" (known, but not before login here). */
    public static final String NOT_IMPLEMENTED = reply(502, "5.5.1", "Error: command not implemented");
    /** RFC 3207 §4: "530 5.7.0 Must issue a STARTTLS command first" (a TLS-only listener). */
    public static final String TLS_FIRST = reply(530, "5.7.0", "Must issue a STARTTLS command first");
    /** RFC 3207 §4: STARTTLS after a successful TLS negotiation. */
    public static final String ALREADY_TLS = reply(503, "5.5.1", "Error: TLS already active");
    /** RFC 5321 §4.1.1.2: MAIL starts a transaction; one is already open. */
    public static final String NESTED_MAIL = reply(503, "5.5.1", "Error: nested MAIL command");
    /** RFC 5321 §4.1.1.3: RCPT needs a transaction. */
    public static final String NEED_MAIL = reply(503, "5.5.1", "Error: need MAIL command");
    /** RFC 1870 §6.1: declared SIZE over the fixed maximum. */
    public static final String SIZE_EXCEEDED = reply(552, "5.3.4", "Message size exceeds fixed maximum message size");

    /** RFC 5321 §4.5.3.2 (timeouts) with RFC 3463 X.4.2 "bad connection"; 421 closes (§3.8). */
    public static String timeout(String server) {
        return reply(421, "4.4.2", server + " Error: timeout exceeded");
    }

    /** RFC 5321 §4.2.3: 421 "<domain> Service not available, closing transmission channel". */
    public static String tooManyErrors(String server) {
        return reply(421, "4.7.0", server + " Error: too many errors");
    }

    /** RFC 5321 §3.8 and RFC 3463 X.7.0: the guard's limit, 421, then close. */
    public static String tooManyConnections(String server) {
        return reply(421, "4.7.0", server + " Too many connections from your address");
    }

    /**
     * A bug of ours before the relay (session.InternalErrorReply): RFC 5321 §3.8 (RFC 2033
     * §4: LMTP as SMTP), 421 and close; RFC 3463 X.3.0 "other or undefined mail system
     * status", a 4 so that the client or MTA tries again later.
     */
    public static String internalError(String server) {
        return reply(421, "4.3.0", server + " Internal error, please try again later");
    }

    /** RFC 5321 §2.3.8: the line end, CR LF (the same as session.Replies.CRLF, which this package may not import). */
    private static final String CRLF = "\r\n";

    /**
     * One reply: Reply-code SP enhanced status code (RFC 3463 §2) SP text; without CRLF
     * ({@link #line} adds it).
     */
    public static String reply(int code, String enhanced, String text) {
        return code + " " + enhanced + " " + text;
    }

    /** RFC 5321 §4.2: Reply-code [ SP textstring ] CRLF. */
    public static String line(String reply) {
        return reply + CRLF;
    }

    /** RFC 5321 §4.2.1: a multiline reply, "code-text" on every line but the last, which has "code SP text". */
    public static String multiLine(int code, List<String> texts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            b.append(code).append(i == texts.size() - 1 ? ' ' : '-').append(texts.get(i)).append(CRLF);
        }
        return b.toString();
    }
}
