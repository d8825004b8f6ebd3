package mailproxy.imap;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import mailproxy.config.ImapOptions;
import mailproxy.config.ListenerConfig;
import mailproxy.wire.LogSafe;

/** The proxy's own IMAP responses (RFC 9051 §7), named for what they mean. */
final class ImapReplies {
    private ImapReplies() {}

    /** RFC 9051 §7.1.5: "* BYE Autologout; idle for too long" is the RFC's own example. */
    static final String BYE_IDLE = "* BYE Autologout; idle for too long\r\n";
    static final String BYE_LINE_TOO_LONG = "* BYE Command line too long\r\n";
    static final String BYE_TOO_MANY_ERRORS = "* BYE Too many invalid commands\r\n";
    static final String BYE_UNAVAILABLE = "* BYE Service unavailable, try again later\r\n";
    static final String BYE_CLOSING = "* BYE Closing connection\r\n";

    /** RFC 2971 §3.2: the server's answer to ID is "* ID" with its own parameters (or NIL). */
    static final String ID = "* ID (\"name\" \"mailproxy\")\r\n";

    /** RFC 5530 §3: AUTHENTICATIONFAILED, UNAVAILABLE. */
    static final String AUTH_FAILED = "NO [AUTHENTICATIONFAILED] Authentication failed.";
    /** RFC 9051 §7.1: PRIVACYREQUIRED "the operation is not permitted due to a lack of privacy". */
    static final String TLS_FIRST = "NO [PRIVACYREQUIRED] Use STARTTLS first";
    static final String UNAVAILABLE = "NO [UNAVAILABLE] Service temporarily unavailable, try again later.";

    /** tagged completion: tag SP resp-cond-state CRLF. */
    static String tagged(String tag, String text) {
        return tag + " " + text + "\r\n";
    }

    static String greeting(String capabilities, String serverName) {
        // RFC 9051 §7.1: greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF, and the
        // CAPABILITY response code saves the client a round trip
        return "* OK [CAPABILITY " + capabilities + "] " + LogSafe.oneLine(serverName) + " IMAP proxy ready\r\n";
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
