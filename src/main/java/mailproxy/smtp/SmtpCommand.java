package mailproxy.smtp;

import java.util.Locale;

/**
 * The SMTP commands the proxy answers itself before the backend takes over (RFC 5321
 * §4.1.1). "Verbs and argument values ... are not case sensitive" (§2.4); a command is a
 * verb, then for most verbs one SP and arguments, then CRLF (§4.1.1).
 */
sealed interface SmtpCommand {
    /** §4.1.1.1: "EHLO" SP ( Domain / address-literal ) CRLF. */
    record Ehlo(String domain) implements SmtpCommand {}

    /** §4.1.1.1: "HELO" SP Domain CRLF. */
    record Helo(String domain) implements SmtpCommand {}

    /** RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]. */
    record Auth(String mechanism, String initialResponse) implements SmtpCommand {
        @Override
        public String toString() { return "Auth[" + mechanism + (initialResponse == null ? "" : " ****") + "]"; }
    }

    /**
     * §4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters]. {@code line} is the whole
     * line as sent, replayed to the backend in MX mode; {@code size} is the RFC 1870 SIZE
     * parameter, or -1.
     */
    record Mail(String line, String path, long size) implements SmtpCommand {}

    /** §4.1.1.3: "RCPT TO:" ( "&lt;Postmaster@" Domain "&gt;" / "&lt;Postmaster&gt;" / Forward-path ) [SP Rcpt-parameters]. */
    record Rcpt(String line, String path) implements SmtpCommand {}

    record Data() implements SmtpCommand {}

    record Rset() implements SmtpCommand {}

    /** §4.1.1.9: "NOOP" [ SP String ]; the string is ignored. */
    record Noop() implements SmtpCommand {}

    record Quit() implements SmtpCommand {}

    record Vrfy() implements SmtpCommand {}

    /** RFC 3207 §4: "STARTTLS" with no parameters. */
    record StartTls() implements SmtpCommand {}

    /** A verb the proxy knows but does not carry before login (BDAT, STARTTLS, EXPN, ...). */
    record NotImplemented(String verb) implements SmtpCommand {}

    /** A known verb with bad arguments; {@code reply} is the whole reply line. */
    record Invalid(String reply) implements SmtpCommand {}

    /** Anything else. XCLIENT from a client lands here: it must never reach a backend. */
    record Unknown(String verb) implements SmtpCommand {}

    static SmtpCommand parse(String line) {
        // A lone CR or a NUL inside a command line has no place in SMTP (RFC 5321 §2.3.8)
        // and would reach the backend verbatim in MX mode.
        if (line.isEmpty() || line.indexOf('\0') >= 0 || line.indexOf('\r') >= 0) return new Invalid(SmtpReply.BAD_SYNTAX);
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : line.substring(sp + 1);
        return switch (verb) {
            case "EHLO", "HELO" -> {
                String domain = rest.trim();
                if (domain.isEmpty()) yield new Invalid("501 5.5.4 Syntax: " + verb + " hostname");
                yield verb.equals("EHLO") ? new Ehlo(domain) : new Helo(domain);
            }
            case "AUTH" -> {
                String[] args = rest.isEmpty() ? new String[0] : rest.split(" ", -1);
                yield switch (args.length) {
                    case 1 -> args[0].isEmpty() ? authSyntax() : new Auth(args[0], null);
                    case 2 -> args[0].isEmpty() || args[1].isEmpty() ? authSyntax() : new Auth(args[0], args[1]);
                    default -> authSyntax();
                };
            }
            case "MAIL" -> mail(line, rest);
            case "RCPT" -> rcpt(line, rest);
            case "DATA" -> rest.isBlank() ? new Data() : new Invalid("501 5.5.4 Syntax: DATA");
            case "RSET" -> rest.isBlank() ? new Rset() : new Invalid("501 5.5.4 Syntax: RSET");
            case "NOOP" -> new Noop();
            case "QUIT" -> new Quit();
            case "VRFY" -> rest.isBlank() ? new Invalid("501 5.5.4 Syntax: VRFY address") : new Vrfy();
            case "STARTTLS" -> rest.isBlank() ? new StartTls() : new Invalid("501 5.5.4 Syntax: STARTTLS");
            case "BDAT", "EXPN", "ETRN", "HELP", "TURN", "ATRN" -> new NotImplemented(verb);
            default -> new Unknown(verb);
        };
    }

    private static Invalid authSyntax() {
        return new Invalid("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
    }

    /** "FROM:" then the path; like Postfix, spaces after the colon are tolerated. */
    private static SmtpCommand mail(String line, String rest) {
        if (!startsWithIgnoreCase(rest, "FROM:")) return new Invalid("501 5.5.4 Syntax: MAIL FROM:<address>");
        String[] pp = pathAndParams(rest.substring(5));
        if (pp == null) return new Invalid("501 5.1.7 Bad sender address syntax");
        long size = -1;
        for (String param : pp[1].split(" ")) {
            if (!startsWithIgnoreCase(param, "SIZE=")) continue;
            // RFC 1870 §4: size-value ::= 1*20DIGIT
            String digits = param.substring(5);
            if (digits.isEmpty() || digits.length() > 20 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return new Invalid("501 5.5.4 Bad SIZE parameter");
            }
            size = digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
        }
        return new Mail(line, pp[0], size);
    }

    private static SmtpCommand rcpt(String line, String rest) {
        if (!startsWithIgnoreCase(rest, "TO:")) return new Invalid("501 5.5.4 Syntax: RCPT TO:<address>");
        String[] pp = pathAndParams(rest.substring(3));
        // the null path "<>" is only a reverse-path (RFC 5321 §4.1.1.2)
        if (pp == null || pp[0].equals("<>")) return new Invalid("501 5.1.3 Bad recipient address syntax");
        return new Rcpt(line, pp[0]);
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
