package mailproxy.pop3;

import java.util.List;
import java.util.Locale;
import mailproxy.session.Replies;

/**
 * The proxy's own POP3 responses (RFC 1939 §3: "+OK" or "-ERR", a text, CRLF; RFC 2449 §8
 * and RFC 3206 for the response codes in brackets), named for what they mean, and the
 * writer that makes them wire text: {@link #line} and {@link #multiLine}. Every POP3 line
 * the proxy sends ends here.
 */
final class Pop3Replies {
    private Pop3Replies() {}

    static final String OK = line("+OK");
    /** RFC 2595 §4 / RFC 8314: with starttls = only, nothing that carries a password before TLS. */
    static final String TLS_FIRST = line("-ERR Command not permitted before STLS");
    /** RFC 3206 §5: AUTH "the server is not able to authenticate the user". */
    static final String AUTH_FAILED = line("-ERR [AUTH] Authentication failed.");
    /** RFC 3206 §4: SYS/TEMP is "a problem which is likely to be temporary". */
    static final String TEMP_FAILURE = line("-ERR [SYS/TEMP] Temporary failure, please try again later.");
    static final String USER_FIRST = line("-ERR USER first");
    static final String APOP_DISABLED = line("-ERR APOP not enabled");
    /** RFC 1939 §7: the digest is 32 hexadecimal digits. */
    static final String APOP_NOT_A_DIGEST = line("-ERR APOP digest must be 32 hex digits");
    static final String ALREADY_TLS = line("-ERR Already in TLS");
    static final String STLS_UNAVAILABLE = line("-ERR STLS not enabled");
    /** RFC 2595 §4: "+OK", then the handshake. */
    static final String BEGIN_TLS = line("+OK Begin TLS negotiation");
    static final String UNKNOWN = line("-ERR Unknown command or not allowed before login");

    /** POP3's texts for the endings the session handles; the SASL ones are one line without CRLF. */
    static final Replies ENDINGS = new Replies() {
        @Override public String lineTooLong() { return line("-ERR Line too long"); }
        @Override public String timeout() { return line("-ERR Disconnected for inactivity."); }
        // nginx closes without a word when max-errors is reached
        @Override public String tooManyErrors() { return ""; }
        // RFC 2449 §8.1.2: IN-USE "the maildrop is in use" is what clients show as busy
        @Override public String tooManyConnections() { return line("-ERR [IN-USE] Too many connections from your address"); }
        @Override public String tooManySessions() { return line("-ERR [IN-USE] Too many sessions for this user"); }
        // a bug of ours before the relay: RFC 3206 §4, SYS/TEMP "likely to be temporary"
        @Override public String internalError() { return line("-ERR [SYS/TEMP] Internal error, please try again later."); }
        // RFC 1939 has no unsolicited response: a line between two replies would be taken
        // for the answer to the next command. A kicked session just closes; the client's
        // next connection goes to the user's new server.
        @Override public String kicked() { return ""; }
        @Override public String authCancelled() { return "-ERR Authentication cancelled"; }
        @Override public String authMalformed() { return "-ERR Invalid authentication data"; }
        @Override public String authUnsupported() { return "-ERR Unsupported authentication mechanism"; }
        @Override public String authFailed() { return AUTH_FAILED.strip(); }
    };

    /** One response line: status indicator, text, CRLF (RFC 1939 §3). */
    static String line(String text) {
        return text + Replies.CRLF;
    }

    /** RFC 1939 §7: the greeting, with the APOP timestamp when there is one. */
    static String greeting(String serverName, String timestamp) {
        return line("+OK " + serverName + " POP3 ready" + (timestamp == null ? "" : " " + timestamp));
    }

    /** RFC 1939 §6: QUIT in the AUTHORIZATION state. */
    static String signingOff(String serverName) {
        return line("+OK " + serverName + " POP3 signing off");
    }

    /** RFC 5034 §4: "+ " and the base64 challenge. */
    static String continuation(String base64) {
        return line("+ " + base64);
    }

    static String err(String text) {
        return line("-ERR " + text);
    }

    /**
     * RFC 1939 §3: a multi-line response, its first line, then each line, then "." alone
     * (the lines here never start with ".", so none needs byte-stuffing).
     */
    static String multiLine(String first, List<String> lines) {
        StringBuilder b = new StringBuilder(line(first));
        for (String l : lines) b.append(line(l));
        return b.append(line(".")).toString();
    }

    /** The AUTH mechanisms the way CAPA's SASL line and AUTH's list name them (upper case). */
    static String upper(String mechanism) {
        return mechanism.toUpperCase(Locale.ROOT);
    }
}
