package mailproxy.smtp;

import static mailproxy.envelope.SmtpFamilyReplies.LINE_TOO_LONG;
import static mailproxy.envelope.SmtpFamilyReplies.line;
import static mailproxy.envelope.SmtpFamilyReplies.reply;

import mailproxy.envelope.SmtpFamilyReplies;
import mailproxy.session.Replies;

/**
 * The replies the proxy gives itself, each one line without CRLF, made wire text by the
 * writer SMTP shares with LMTP (envelope.SmtpFamilyReplies: {@code line}, {@code multiLine};
 * go-smtp's writeResponse is the model): every SMTP line the proxy sends goes through it.
 * Basic codes from RFC 5321 §4.2, enhanced codes (RFC 3463, advertised as
 * ENHANCEDSTATUSCODES, RFC 2034) from the RFC that defines the situation; the text follows
 * Postfix where it has one, so that the proxy reads like the server behind it.
 */
final class SmtpReply {
    private SmtpReply() {}

    /**
     * SMTP's texts for the endings the session handles: 421 and close (RFC 5321 §3.8), with
     * a lingering close so the 421 is read; the SASL ones are one line without CRLF.
     */
    static Replies endings(String serverName) {
        return new Replies() {
            @Override public String lineTooLong() { return line(LINE_TOO_LONG); }
            // RFC 4954 §6: an overlong line inside an AUTH exchange
            @Override public String saslLineTooLong() { return line(AUTH_LINE_TOO_LONG); }
            @Override public String timeout() { return line(SmtpFamilyReplies.timeout(serverName)); }
            @Override public String tooManyErrors() { return line(SmtpFamilyReplies.tooManyErrors(serverName)); }
            @Override public boolean lingerOnClose() { return true; }
            @Override public String tooManyConnections() { return line(SmtpFamilyReplies.tooManyConnections(serverName)); }
            @Override public String tooManySessions() { return line(reply(421, "4.7.0", serverName + " Too many sessions for this user")); }
            @Override public String internalError() { return line(SmtpFamilyReplies.internalError(serverName)); }
            // RFC 5321 §3.8: 421 may come at any time, then the server closes; RFC 3463
            // X.3.2 "system not accepting network messages": the client tries again later
            @Override public String kicked() { return line(reply(421, "4.3.2", serverName + " Service moving, please reconnect")); }
            @Override public mailproxy.wire.ResponseEnds.Syntax responseSyntax() { return mailproxy.wire.ResponseEnds.Syntax.CONTINUED_LINES; }
            @Override public String authCancelled() { return AUTH_CANCELLED; }
            @Override public String authMalformed() { return AUTH_UNDECODABLE; }
            @Override public String authUnsupported() { return UNKNOWN_MECHANISM; }
            @Override public String authFailed() { return AUTH_INVALID; }
        };
    }

    /** RFC 4954 §6: "235 2.7.0 Authentication Succeeded". */
    static final String AUTH_OK = reply(235, "2.7.0", "Authentication successful");

    /** RFC 5321 §4.2.4: 500 "Syntax error, command unrecognized" also covers malformed lines. */

    /** RFC 5321 §4.1.4: "a client MUST issue HELO or EHLO before starting a mail transaction". */
    static final String HELO_FIRST = reply(503, "5.5.1", "Error: send HELO/EHLO first");
    /** RFC 5321 §4.1.1.4: DATA needs at least one recipient. */
    static final String NEED_RCPT = reply(503, "5.5.1", "Error: need RCPT command");
    /** RFC 4954 §4: AUTH where it is not offered (MX listeners). */
    static final String AUTH_NOT_ENABLED = reply(503, "5.5.1", "Error: authentication not enabled");
    /**
     * A client that speaks before the greeting (RFC 5321 §3.1: the client waits for it);
     * nginx's words for it, so tools written against nginx keep matching.
     */
    static final String PREGREET = reply(503, "5.5.0", "Improper use of SMTP command pipelining");

    /** RFC 4954 §6: "504 5.5.4 Unrecognized authentication type". */
    static final String UNKNOWN_MECHANISM = reply(504, "5.5.4", "Unrecognized authentication type");
    /** RFC 4954 §4: "*" cancels; the server "MUST reject the AUTH command by sending a 501 reply". */
    static final String AUTH_CANCELLED = reply(501, "5.7.0", "Authentication cancelled");
    /** RFC 4954 §4: undecodable base64 gets "a 501 reply (and an enhanced status code of 5.5.2)". */
    static final String AUTH_UNDECODABLE = reply(501, "5.5.2", "Cannot decode authentication data");
    /** RFC 4954 §6: "500 5.5.6 Authentication Exchange line is too long". */
    static final String AUTH_LINE_TOO_LONG = reply(500, "5.5.6", "Authentication exchange line is too long");
    /** RFC 4954 §6: "530 5.7.0 Authentication required", for MAIL etc. before AUTH. */
    static final String AUTH_REQUIRED = reply(530, "5.7.0", "Authentication required");
    /** RFC 4954 §6: "535 5.7.8 Authentication credentials invalid" (e.g. EXTERNAL without a certificate). */
    static final String AUTH_INVALID = reply(535, "5.7.8", "Authentication credentials invalid");
    /** RFC 4954 §6: "535 5.7.8 Authentication credentials invalid" (router said no). */
    static final String AUTH_INVALID_CODE = "535 5.7.8";
    /** RFC 3463 X.7.1: "delivery not authorized, message refused" (router said no in MX mode). */
    static final String MX_REJECT_CODE = "550 5.7.1";

    /** RFC 5321 §4.2: 220 <domain> greeting; "ESMTP" tells clients to try EHLO (§4.1.1.1). */
    static String greeting(String server) {
        return "220 " + server + " ESMTP ready";
    }

    /** Router or backend unavailable: 421 closes (RFC 5321 §3.8), X.3.0 "other mail system status". */
    static String unavailable(String server) {
        return reply(421, "4.3.0", server + " Service temporarily unavailable, try again later");
    }
}
