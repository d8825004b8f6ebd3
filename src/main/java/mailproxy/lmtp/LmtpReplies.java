package mailproxy.lmtp;

import static mailproxy.envelope.SmtpFamilyReplies.LINE_TOO_LONG;
import static mailproxy.envelope.SmtpFamilyReplies.NOT_IMPLEMENTED;
import static mailproxy.envelope.SmtpFamilyReplies.line;
import static mailproxy.envelope.SmtpFamilyReplies.reply;

import mailproxy.envelope.SmtpFamilyReplies;
import mailproxy.session.Replies;

/**
 * The replies the proxy gives itself, one line each without CRLF, made wire text by the
 * writer LMTP shares with SMTP (envelope.SmtpFamilyReplies: {@code line}, {@code multiLine};
 * every LMTP line the proxy sends goes through it): basic codes from RFC 5321 §4.2,
 * enhanced codes (RFC 3463, ENHANCEDSTATUSCODES) from the RFC that names the situation,
 * texts in Postfix's words where it has some.
 */
final class LmtpReplies {
    private LmtpReplies() {}

    /** LMTP's texts for the endings the session handles: 421 and close (RFC 5321 §3.8). */
    static Replies endings(String serverName) {
        return new Replies() {
            @Override public String lineTooLong() { return line(LINE_TOO_LONG); }
            @Override public String timeout() { return line(SmtpFamilyReplies.timeout(serverName)); }
            @Override public String tooManyErrors() { return line(SmtpFamilyReplies.tooManyErrors(serverName)); }
            @Override public String tooManyConnections() { return line(SmtpFamilyReplies.tooManyConnections(serverName)); }
            @Override public String tooManySessions() { return tooManyConnections(); }
            @Override public String internalError() { return line(SmtpFamilyReplies.internalError(serverName)); }
            // LMTP has no login and no relay: nothing to kick
            @Override public String kicked() { return ""; }
            // LMTP has no AUTH: these are never sent
            @Override public String authCancelled() { return NOT_IMPLEMENTED; }
            @Override public String authMalformed() { return NOT_IMPLEMENTED; }
            @Override public String authUnsupported() { return NOT_IMPLEMENTED; }
            @Override public String authFailed() { return NOT_IMPLEMENTED; }
        };
    }

    /** RFC 5321 §4.1.1.4: the go-ahead for the message. */
    static final String START_DATA = "354 End data with <CR><LF>.<CR><LF>";

    /** RFC 2033 §4.1: "the HELO and EHLO commands ... MUST NOT be used"; LHLO is the greeting. */
    static final String USE_LHLO = reply(500, "5.5.1", "Error: this is LMTP, use LHLO");
    static final String LHLO_FIRST = reply(503, "5.5.1", "Error: send LHLO first");
    /** RFC 2033 §4.2: "If there were no successful RCPT commands ... the DATA command MUST fail with a 503". */
    static final String NO_VALID_RCPT = reply(503, "5.5.1", "Error: no valid recipients");
    /** RFC 5321 §4.5.3.1.10: 452 for too many recipients; the client sends the rest later. */
    static final String TOO_MANY_RCPT = reply(452, "4.5.3", "Error: too many recipients");
    /** RFC 3463 X.1.1 "bad destination mailbox address": the router serves no such recipient. */
    static final String RCPT_REJECT_CODE = "550 5.1.1";
    /** RFC 3463 X.4.1 "no answer from host": no server of the recipient's pool could be reached. */
    static final String BACKEND_UNAVAILABLE = reply(451, "4.4.1", "Error: backend unavailable, try again later");
    /** RFC 3463 X.4.2 "bad connection": the backend broke during the transaction. */
    static final String BACKEND_FAILED = reply(451, "4.4.2", "Error: backend connection failed, try again later");
    /** RFC 3463 X.4.3 "directory server failure": the router could not answer. */
    static final String ROUTER_UNAVAILABLE = reply(451, "4.4.3", "Error: recipient lookup failed, try again later");
    /**
     * RFC 5321 §2.3.8 / §4.1.1.4: CRLF is the only line end; a message with a bare LF or CR
     * is refused for each recipient (Postfix smtpd_forbid_bare_newline's words; RFC 3463
     * X.5.2 "syntax error").
     */
    static final String BARE_NEWLINE = reply(550, "5.5.2", "Error: bare <LF> or <CR> received");
    /** The same for a command line ended by LF alone: refused, not run. */
    static final String BARE_LF_COMMAND = reply(500, "5.5.2", "Error: bare <LF> received");
    /** RFC 3463 X.3.0: the proxy could not store the message. */
    static final String CANNOT_STORE = reply(451, "4.3.0", "Error: cannot store the message, try again later");

    static String greeting(String server) {
        // RFC 2033 §4: the greeting is SMTP's 220
        return "220 " + server + " LMTP ready";
    }

    /**
     * A client outside lmtp-clients, instead of the greeting: RFC 5321 §3.1 and §4.2.3
     * (421 "Service not available, closing transmission channel"), RFC 3463 X.7.1
     * "delivery not authorized".
     */
    static String notAClient(String server) {
        return reply(421, "4.7.1", server + " Error: this address may not deliver here");
    }
}
