package mailproxy.envelope;

import java.util.Locale;
import java.util.function.BiFunction;

/**
 * One parser for the command lines SMTP and LMTP share (RFC 5321 §4.1.1; RFC 2033 §4:
 * LMTP is SMTP's with LHLO for EHLO): the verb, in any case (§2.4); the envelope, MAIL
 * FROM with its SIZE (§4.1.1.2, RFC 1870) and RCPT TO (§4.1.1.3), their paths (§4.1.2);
 * DATA, RSET, NOOP, QUIT, VRFY, STARTTLS and their arguments. Each protocol gives the
 * constructors of its own command records ({@link SharedCommands}) and parses the verbs that
 * are its alone (EHLO, HELO, AUTH; LHLO, BDAT), so its sealed command type and its
 * {@code parse} stay its own and this grammar is written once.
 *
 * <p>A package of its own because smtp and lmtp may not import each other, and this
 * grammar belongs to neither; it imports nothing of ours (docs/ARCHITECTURE.md, "Packages").
 */
public final class SmtpFamilyParser {
    /** RFC 5321 §4.2.2 500, RFC 3463 5.5.2: a line that has no place in SMTP. */
    public static final String BAD_SYNTAX = "500 5.5.2 Error: bad syntax";
    /** RFC 5321 §4.1.1.3, RFC 3463 5.1.3: a forward-path that is not one. */
    public static final String BAD_RECIPIENT = "501 5.1.3 Bad recipient address syntax";
    static final String BAD_SENDER = "501 5.1.7 Bad sender address syntax";
    static final String BAD_SIZE = "501 5.5.4 Bad SIZE parameter";

    private SmtpFamilyParser() {}

    /**
     * The command {@code line} is (as the connection hands it over, without its CRLF).
     *
     * @param shared   the protocol's records for the commands the family shares
     * @param ownVerbs the protocol's parser of the rest: (verb upper-cased, what follows
     *                 the verb's SP) to its command; unknown verbs too
     */
    public static <C> C parse(String line, SharedCommands<C> shared, BiFunction<String, String, C> ownVerbs) {
        // A lone CR or a NUL inside a command line has no place in SMTP (RFC 5321 §2.3.8)
        // and would reach the backend verbatim (MX mode, LMTP's replayed envelope).
        if (line.isEmpty() || line.indexOf('\0') >= 0 || line.indexOf('\r') >= 0) return shared.invalid().apply(BAD_SYNTAX);
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : line.substring(sp + 1);
        return switch (verb) {
            case "MAIL" -> mail(line, rest, shared);
            case "RCPT" -> rcpt(line, rest, shared);
            case "DATA" -> rest.isBlank() ? shared.data().get() : syntax(shared, "DATA");
            case "RSET" -> rest.isBlank() ? shared.rset().get() : syntax(shared, "RSET");
            case "NOOP" -> shared.noop().get(); // §4.1.1.9: NOOP [ SP String ], the string ignored
            case "QUIT" -> shared.quit().get();
            case "VRFY" -> rest.isBlank() ? syntax(shared, "VRFY address") : shared.vrfy().get();
            case "STARTTLS" -> rest.isBlank() ? shared.startTls().get() : syntax(shared, "STARTTLS"); // RFC 3207 §4
            default -> ownVerbs.apply(verb, rest);
        };
    }

    /** The reply to a known verb with bad arguments: "501 5.5.4 Syntax: " and how it is used. */
    public static String syntax(String usage) {
        return "501 5.5.4 Syntax: " + usage;
    }

    /**
     * The mailbox of a forward-path as sent, for routing it: without its brackets, and a
     * source route "@a,@b:" before it ignored (RFC 5321 §4.1.2 Path, §4.1.1.3, Appendix C);
     * "" when there is none.
     */
    public static String mailbox(String path) {
        String inside = path.startsWith("<") ? path.substring(1, path.length() - 1) : path;
        return inside.substring(inside.lastIndexOf(':') + 1);
    }

    private static <C> C syntax(SharedCommands<C> shared, String usage) {
        return shared.invalid().apply(syntax(usage));
    }

    /** "MAIL FROM:" Reverse-path [SP Mail-parameters]; like Postfix, spaces after the colon are tolerated. */
    private static <C> C mail(String line, String rest, SharedCommands<C> shared) {
        if (!startsWithIgnoreCase(rest, "FROM:")) return syntax(shared, "MAIL FROM:<address>");
        String[] pp = pathAndParams(rest.substring(5));
        if (pp == null) return shared.invalid().apply(BAD_SENDER);
        long size = -1;
        for (String param : pp[1].split(" ")) {
            if (!startsWithIgnoreCase(param, "SIZE=")) continue;
            // RFC 1870 §4: size-value ::= 1*20DIGIT
            String digits = param.substring(5);
            if (digits.isEmpty() || digits.length() > 20 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return shared.invalid().apply(BAD_SIZE);
            }
            size = digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
        }
        return shared.mail().of(line, pp[0], size);
    }

    /** "RCPT TO:" Forward-path [SP Rcpt-parameters]. */
    private static <C> C rcpt(String line, String rest, SharedCommands<C> shared) {
        if (!startsWithIgnoreCase(rest, "TO:")) return syntax(shared, "RCPT TO:<address>");
        String[] pp = pathAndParams(rest.substring(3));
        // the null path "<>" is only a reverse-path (RFC 5321 §4.1.1.2)
        if (pp == null || pp[0].equals("<>")) return shared.invalid().apply(BAD_RECIPIENT);
        return shared.rcpt().apply(line, pp[0]);
    }

    /** {path, params}: "&lt;...&gt;" up to the first '&gt;', or a bare word; null if empty or unclosed. */
    private static String[] pathAndParams(String s) {
        s = s.stripLeading();
        int end;
        if (s.startsWith("<")) {
            int gt = s.indexOf('>');
            if (gt < 0) return null;
            end = gt + 1;
        } else {
            int sp = s.indexOf(' ');
            end = sp < 0 ? s.length() : sp;
            if (end == 0) return null;
        }
        return new String[] {s.substring(0, end), s.substring(end).trim()};
    }

    private static boolean startsWithIgnoreCase(String s, String prefix) {
        return s.regionMatches(true, 0, prefix, 0, prefix.length());
    }
}
