package mailproxy.sieve;

import mailproxy.config.SieveOptions;
import mailproxy.session.Session;

/**
 * The proxy's own ManageSieve responses (RFC 5804 §1.2, §4): OK, NO or BYE, an optional
 * response code in parentheses, and a human-readable string.
 */
final class SieveReplies {
    private SieveReplies() {}

    static final String AUTH_FAILED = "NO \"Authentication failed.\"";
    /** RFC 5804 §1.3: ENCRYPT-NEEDED, "the server requires an encrypted channel". */
    static final String TLS_FIRST = "NO (ENCRYPT-NEEDED) \"Use STARTTLS first.\"";
    /** RFC 5804 §1.3: TRYLATER, "a temporary failure". */
    static final String UNAVAILABLE = "BYE (TRYLATER) \"Service temporarily unavailable, try again later.\"";
    static final String TOO_MANY_ERRORS = "BYE \"Too many invalid commands.\"";

    static String ok(String text) { return "OK " + string(text); }

    static String no(String text) { return "NO " + string(text); }

    static String bye(String text) { return "BYE " + string(text); }

    /**
     * A string the protocol's way (RFC 5804 §4): quoted, escaping the two quoted-specials,
     * when it fits; a literal {n} otherwise (too long, or holding CR, LF or NUL).
     */
    static String string(String s) {
        boolean quotable = s.length() <= SieveParser.MAX_QUOTED
                && s.indexOf('\r') < 0 && s.indexOf('\n') < 0 && s.indexOf('\0') < 0;
        if (quotable) return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        return "{" + s.length() + "}\r\n" + s;
    }

    /**
     * The capability list (RFC 5804 §1.7), in Dovecot's order, then OK: IMPLEMENTATION,
     * SIEVE, NOTIFY (when configured), SASL (empty where TLS must come first, RFC 5804
     * §2.1), STARTTLS while it is offered, VERSION "1.0".
     */
    static String capabilities(Session session, String ok) {
        SieveOptions sieve = session.listener().options(SieveOptions.class);
        StringBuilder b = new StringBuilder();
        b.append("\"IMPLEMENTATION\" ").append(string(sieve.implementation())).append("\r\n");
        b.append("\"SIEVE\" ").append(string(sieve.extensions())).append("\r\n");
        if (!sieve.notifyMethods().isEmpty()) b.append("\"NOTIFY\" ").append(string(sieve.notifyMethods())).append("\r\n");
        String sasl = session.tlsRequired() ? "" : String.join(" ", session.listener().auth()).toUpperCase(java.util.Locale.ROOT);
        b.append("\"SASL\" ").append(string(sasl)).append("\r\n");
        if (session.canStartTls()) b.append("\"STARTTLS\"\r\n");
        b.append("\"VERSION\" \"1.0\"\r\n");
        return b.append(ok).append("\r\n").toString();
    }
}
