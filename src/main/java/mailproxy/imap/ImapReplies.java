package mailproxy.imap;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import mailproxy.config.ImapOptions;
import mailproxy.config.ListenerConfig;
import mailproxy.session.Replies;
import mailproxy.wire.LogSafe;

/**
 * The proxy's own IMAP responses (RFC 9051 §7), named for what they mean, and the writer
 * that makes them wire text: {@link #tagged}, {@link #untagged}, {@link #continuation}.
 * Every IMAP line the proxy sends ends here.
 */
final class ImapReplies {
    private ImapReplies() {}

    /** RFC 9051 §7.1.5: "* BYE Autologout; idle for too long" is the RFC's own example. */
    static final String BYE_IDLE = untagged("BYE Autologout; idle for too long");
    static final String BYE_LINE_TOO_LONG = untagged("BYE Command line too long");
    static final String BYE_TOO_MANY_ERRORS = untagged("BYE Too many invalid commands");
    static final String BYE_UNAVAILABLE = untagged("BYE Service unavailable, try again later");
    static final String BYE_CLOSING = untagged("BYE Closing connection");
    /**
     * A bug of ours before the relay (session.Replies#internalError). RFC 5530 §3 offers
     * SERVERBUG ("the server encountered a bug in itself") and UNAVAILABLE ("temporary
     * failure because a subsystem is down"): UNAVAILABLE, because what the client should
     * do matters here, not what happened: reconnect and try again later (a bug on one path
     * is seldom on the next attempt's), as after any other BYE [UNAVAILABLE] of ours. The
     * bug itself is for the operator, in the server's log, not for the user.
     */
    static final String BYE_INTERNAL_ERROR = untagged("BYE [UNAVAILABLE] Internal error, please try again later");
    /** A kicked session (README, "Moving users"): the client reconnects, and its new session goes to the user's new server. */
    static final String BYE_MOVED = untagged("BYE [UNAVAILABLE] Your mailbox moved to another server, please reconnect");

    /** RFC 2971 §3.2: the server's answer to ID is "* ID" with its own parameters (or NIL). */
    static final String ID = untagged("ID (\"name\" \"mailproxy\")");

    /** RFC 5530 §3: AUTHENTICATIONFAILED, UNAVAILABLE. */
    static final String AUTH_FAILED = "NO [AUTHENTICATIONFAILED] Authentication failed.";
    /** RFC 9051 §7.1: PRIVACYREQUIRED "the operation is not permitted due to a lack of privacy". */
    static final String TLS_FIRST = "NO [PRIVACYREQUIRED] Use STARTTLS first";
    static final String UNAVAILABLE = "NO [UNAVAILABLE] Service temporarily unavailable, try again later.";

    /**
     * IMAP's texts for the endings the session handles. The tag of an overlong line is
     * unknown, and the rest of it cannot be told from the next command: an untagged BYE
     * and close. RFC 9051 §6.2.2: a cancelled or undecodable AUTHENTICATE gets BAD.
     */
    static final Replies ENDINGS = new Replies() {
        @Override public String lineTooLong() { return BYE_LINE_TOO_LONG; }
        @Override public String timeout() { return BYE_IDLE; }
        @Override public String tooManyErrors() { return BYE_TOO_MANY_ERRORS; }
        // RFC 9051 §7.1.5: BYE "the server is unwilling to accept the connection"
        @Override public String tooManyConnections() { return untagged("BYE [UNAVAILABLE] Too many connections from your address"); }
        // RFC 5530 §3: LIMIT "the operation ran up against an implementation limit"
        @Override public String tooManySessions() { return untagged("BYE [LIMIT] Too many sessions for this user"); }
        // RFC 9051 §7.1.5: BYE, then the server closes (see BYE_INTERNAL_ERROR for the code)
        @Override public String internalError() { return BYE_INTERNAL_ERROR; }
        // RFC 9051 §7.1.5: BYE may come at any time; RFC 5530 §3: UNAVAILABLE "try again later"
        @Override public String kicked() { return BYE_MOVED; }
        @Override public mailproxy.wire.ResponseEnds.Syntax responseSyntax() { return mailproxy.wire.ResponseEnds.Syntax.LITERALS; }
        @Override public String authCancelled() { return "BAD Authentication cancelled"; }
        @Override public String authMalformed() { return "BAD Invalid authentication data"; }
        @Override public String authUnsupported() { return "NO Unsupported authentication mechanism"; }
        @Override public String authFailed() { return AUTH_FAILED; }
    };

    /** tagged completion: tag SP resp-cond-state CRLF. */
    static String tagged(String tag, String text) {
        return tag + " " + text + Replies.CRLF;
    }

    /** RFC 9051 §7: an untagged response, "*" SP ... CRLF. */
    static String untagged(String text) {
        return "* " + text + Replies.CRLF;
    }

    /** RFC 9051 §7.5: continue-req = "+" SP (resp-text / base64) CRLF. */
    static String continuation(String text) {
        return "+ " + text + Replies.CRLF;
    }

    /** Lines sent in one write (a command with its literals, RFC 9051 §4.3), each ended by CRLF. */
    static String lines(String... lines) {
        return String.join(Replies.CRLF, lines) + Replies.CRLF;
    }

    static String greeting(String capabilities, String serverName) {
        // RFC 9051 §7.1: greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF, and the
        // CAPABILITY response code saves the client a round trip
        return untagged("OK [CAPABILITY " + capabilities + "] " + LogSafe.oneLine(serverName) + " IMAP proxy ready");
    }

    /**
     * The capabilities before login: the listener's list, then ID (answered here, RFC 2971),
     * SASL-IR (RFC 4959) and AUTH= for each mechanism; STARTTLS while the listener offers it
     * and the connection is plaintext. With starttls = only and no TLS yet: LOGINDISABLED and
     * no AUTH= (RFC 9051 §6.2.3, §7.2.2), so clients know to upgrade first.
     */
    static String capabilities(ListenerConfig listener, boolean canStartTls, boolean tlsRequired) {
        Set<String> caps = new LinkedHashSet<>();
        Set<String> seen = new java.util.HashSet<>();
        for (String c : listener.options(ImapOptions.class).capabilities()) {
            String upper = c.toUpperCase(Locale.ROOT);
            if (upper.equals("STARTTLS") || upper.equals("LOGINDISABLED") || upper.startsWith("AUTH=")) continue;
            if (seen.add(upper)) caps.add(c);
        }
        if (seen.add("ID")) caps.add("ID");
        if (canStartTls) caps.add("STARTTLS");
        if (tlsRequired) {
            caps.add("LOGINDISABLED");
            return String.join(" ", caps);
        }
        if (!listener.auth().isEmpty() && seen.add("SASL-IR")) caps.add("SASL-IR");
        for (String m : listener.auth()) caps.add("AUTH=" + m.toUpperCase(Locale.ROOT));
        return String.join(" ", caps);
    }
}
