package mailproxy.lmtp;

import java.util.Locale;

/**
 * The LMTP commands (RFC 2033 §4: SMTP's, with LHLO for EHLO; RFC 5321 §4.1.1 for the
 * rest). "Verbs and argument values ... are not case sensitive" (RFC 5321 §2.4).
 */
sealed interface LmtpCommand {
    /** RFC 2033 §4.1: "LHLO" SP domain. */
    record Lhlo(String domain) implements LmtpCommand {}

    /** RFC 2033 §4.1: HELO and EHLO "MUST NOT" be used; answered with an error. */
    record HeloEhlo() implements LmtpCommand {}

    /**
     * "MAIL FROM:" Reverse-path [SP Mail-parameters]; {@code line} as sent is replayed to
     * each backend; {@code size} is the RFC 1870 SIZE parameter, or -1.
     */
    record Mail(String line, long size) implements LmtpCommand {}

    /** "RCPT TO:" Forward-path [SP Rcpt-parameters]; {@code address} is the path without brackets. */
    record Rcpt(String line, String address) implements LmtpCommand {}

    record Data() implements LmtpCommand {}

    record Rset() implements LmtpCommand {}

    record Noop() implements LmtpCommand {}

    record Quit() implements LmtpCommand {}

    record Vrfy() implements LmtpCommand {}

    record StartTls() implements LmtpCommand {}

    /** RFC 3030 BDAT: not offered (no CHUNKING in LHLO), so refused. */
    record Bdat() implements LmtpCommand {}

    /** A known verb with bad arguments; {@code reply} is the whole reply line. */
    record Invalid(String reply) implements LmtpCommand {}

    record Unknown(String verb) implements LmtpCommand {}

    static LmtpCommand parse(String line) {
        // a NUL or a lone CR in a command line would reach the backends as it is (RFC 5321 §2.3.8)
        if (line.isEmpty() || line.indexOf('\0') >= 0 || line.indexOf('\r') >= 0) return new Invalid(LmtpReplies.BAD_SYNTAX);
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : line.substring(sp + 1);
        return switch (verb) {
            case "LHLO" -> rest.isBlank() ? new Invalid("501 5.5.4 Syntax: LHLO hostname") : new Lhlo(rest.trim());
            case "HELO", "EHLO" -> new HeloEhlo();
            case "MAIL" -> mail(line, rest);
            case "RCPT" -> rcpt(line, rest);
            case "DATA" -> rest.isBlank() ? new Data() : new Invalid("501 5.5.4 Syntax: DATA");
            case "RSET" -> rest.isBlank() ? new Rset() : new Invalid("501 5.5.4 Syntax: RSET");
            case "NOOP" -> new Noop();
            case "QUIT" -> new Quit();
            case "VRFY" -> rest.isBlank() ? new Invalid("501 5.5.4 Syntax: VRFY address") : new Vrfy();
            case "STARTTLS" -> rest.isBlank() ? new StartTls() : new Invalid("501 5.5.4 Syntax: STARTTLS");
            case "BDAT" -> new Bdat();
            default -> new Unknown(verb);
        };
    }

    private static LmtpCommand mail(String line, String rest) {
        if (!rest.regionMatches(true, 0, "FROM:", 0, 5)) return new Invalid("501 5.5.4 Syntax: MAIL FROM:<address>");
        String[] pp = pathAndParams(rest.substring(5));
        if (pp == null) return new Invalid("501 5.1.7 Bad sender address syntax");
        long size = -1;
        for (String param : pp[1].split(" ")) {
            if (!param.regionMatches(true, 0, "SIZE=", 0, 5)) continue;
            // RFC 1870 §4: size-value ::= 1*20DIGIT
            String digits = param.substring(5);
            if (digits.isEmpty() || digits.length() > 20 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return new Invalid("501 5.5.4 Bad SIZE parameter");
            }
            size = digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
        }
        return new Mail(line, size);
    }

    private static LmtpCommand rcpt(String line, String rest) {
        if (!rest.regionMatches(true, 0, "TO:", 0, 3)) return new Invalid("501 5.5.4 Syntax: RCPT TO:<address>");
        String[] pp = pathAndParams(rest.substring(3));
        // the null path "<>" is only a reverse-path (RFC 5321 §4.1.1.2)
        if (pp == null || pp[0].equals("<>")) return new Invalid("501 5.1.3 Bad recipient address syntax");
        String path = pp[0].startsWith("<") ? pp[0].substring(1, pp[0].length() - 1) : pp[0];
        // a source route "@a,@b:" before the mailbox is ignored (RFC 5321 §4.1.1.3, Appendix C)
        int colon = path.lastIndexOf(':');
        String address = colon >= 0 ? path.substring(colon + 1) : path;
        if (address.isEmpty()) return new Invalid("501 5.1.3 Bad recipient address syntax");
        return new Rcpt(line, address);
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
}
