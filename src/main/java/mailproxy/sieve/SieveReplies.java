package mailproxy.sieve;

import mailproxy.config.SieveOptions;
import mailproxy.session.Replies;
import mailproxy.session.Session;

/**
 * The proxy's own ManageSieve responses (RFC 5804 §1.2, §4): OK, NO or BYE, an optional
 * response code in parentheses, and a human-readable string; {@link #ok}, {@link #no},
 * {@link #bye} and {@link #line} make them wire text. Every ManageSieve line the proxy
 * sends ends here.
 */
final class SieveReplies {
    private SieveReplies() {}

    /** Without its CRLF: the text of the SASL failure (see {@link #ENDINGS}). */
    static final String AUTH_FAILED = "NO \"Authentication failed.\"";
    /** RFC 5804 §1.3: ENCRYPT-NEEDED, "the server requires an encrypted channel". */
    static final String TLS_FIRST = line("NO (ENCRYPT-NEEDED) \"Use STARTTLS first.\"");
    /** RFC 5804 §1.3: TRYLATER, "a temporary failure". */
    static final String UNAVAILABLE = line("BYE (TRYLATER) \"Service temporarily unavailable, try again later.\"");
    static final String TOO_MANY_ERRORS = line("BYE \"Too many invalid commands.\"");

    /** ManageSieve's texts for the endings the session handles; the SASL ones are one line without CRLF. */
    static final Replies ENDINGS = new Replies() {
        @Override public String lineTooLong() { return bye("Line too long."); }
        @Override public String timeout() { return bye("Disconnected for inactivity."); }
        @Override public String tooManyErrors() { return TOO_MANY_ERRORS; }
        @Override public String tooManyConnections() { return line("BYE (TRYLATER) " + string("Too many connections from your address.")); }
        @Override public String tooManySessions() { return line("BYE (TRYLATER) " + string("Too many sessions for this user.")); }
        // a bug of ours before the relay: BYE and close, TRYLATER as below
        @Override public String internalError() { return line("BYE (TRYLATER) " + string("Internal error, please try again later.")); }
        // RFC 5804 §1.3 and §4: BYE ends the connection; TRYLATER "a temporary failure"
        @Override public String kicked() { return line("BYE (TRYLATER) " + string("Your scripts moved to another server, please reconnect.")); }
        @Override public mailproxy.wire.ResponseEnds.Syntax responseSyntax() { return mailproxy.wire.ResponseEnds.Syntax.LITERALS; }
        @Override public String authCancelled() { return "NO " + string("Authentication cancelled."); }
        @Override public String authMalformed() { return "NO " + string("Invalid authentication data."); }
        @Override public String authUnsupported() { return "NO " + string("Unsupported authentication mechanism."); }
        @Override public String authFailed() { return AUTH_FAILED; }
    };

    /** One response line, CRLF ended. */
    static String line(String text) { return text + Replies.CRLF; }

    static String ok(String text) { return line("OK " + string(text)); }

    static String no(String text) { return line("NO " + string(text)); }

    static String bye(String text) { return line("BYE " + string(text)); }

    /** RFC 5804 §2.13: NOOP's string back in a TAG response code. */
    static String okTag(String tag) { return line("OK (TAG " + string(tag) + ") \"Done\""); }

    /**
     * A string the protocol's way (RFC 5804 §4): quoted, escaping the two quoted-specials,
     * when it fits; a literal {n} otherwise (too long, or holding CR, LF or NUL).
     */
    static String string(String s) {
        boolean quotable = s.length() <= SieveParser.MAX_QUOTED
                && s.indexOf('\r') < 0 && s.indexOf('\n') < 0 && s.indexOf('\0') < 0;
        if (quotable) return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        return "{" + s.length() + "}" + Replies.CRLF + s;
    }

    /**
     * The capability list (RFC 5804 §1.7), in Dovecot's order, then OK: IMPLEMENTATION,
     * SIEVE, NOTIFY (when configured), SASL (empty where TLS must come first, RFC 5804
     * §2.1), STARTTLS while it is offered, VERSION "1.0".
     */
    static String capabilities(Session session, String ok) {
        SieveOptions sieve = session.listener().options(SieveOptions.class);
        StringBuilder b = new StringBuilder();
        b.append(line("\"IMPLEMENTATION\" " + string(sieve.implementation())));
        b.append(line("\"SIEVE\" " + string(sieve.extensions())));
        if (!sieve.notifyMethods().isEmpty()) b.append(line("\"NOTIFY\" " + string(sieve.notifyMethods())));
        String sasl = session.tlsRequired() ? "" : String.join(" ", session.listener().auth()).toUpperCase(java.util.Locale.ROOT);
        b.append(line("\"SASL\" " + string(sasl)));
        if (session.canStartTls()) b.append(line("\"STARTTLS\""));
        b.append(line("\"VERSION\" \"1.0\""));
        return b.append(ok).toString();
    }
}
