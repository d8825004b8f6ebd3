package mailproxy.smtp;

import mailproxy.envelope.SharedCommands;
import mailproxy.envelope.SmtpFamilyParser;

/**
 * The SMTP commands the proxy answers itself before the backend takes over (RFC 5321
 * §4.1.1). "Verbs and argument values ... are not case sensitive" (§2.4); a command is a
 * verb, then for most verbs one SP and arguments, then CRLF (§4.1.1). The grammar SMTP
 * shares with LMTP (MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY, STARTTLS) is written once in
 * envelope.SmtpFamilyParser; the verbs below {@link #parse} are SMTP's alone.
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

    /** The commands SMTP shares with LMTP, as envelope.SmtpFamilyParser parses them. */
    SharedCommands<SmtpCommand> SHARED = new SharedCommands<>(
            Mail::new, Rcpt::new, Data::new, Rset::new, Noop::new, Quit::new, Vrfy::new, StartTls::new, Invalid::new);

    static SmtpCommand parse(String line) {
        return SmtpFamilyParser.parse(line, SHARED, SmtpCommand::ownVerb);
    }

    /** The verbs SMTP does not share with LMTP (RFC 5321 §4.1.1.1, RFC 4954 §4), and unknown ones. */
    private static SmtpCommand ownVerb(String verb, String rest) {
        return switch (verb) {
            case "EHLO", "HELO" -> {
                String domain = rest.trim();
                if (domain.isEmpty()) yield new Invalid(SmtpFamilyParser.syntax(verb + " hostname"));
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
            case "BDAT", "EXPN", "ETRN", "HELP", "TURN", "ATRN" -> new NotImplemented(verb);
            default -> new Unknown(verb);
        };
    }

    private static Invalid authSyntax() {
        return new Invalid(SmtpFamilyParser.syntax("AUTH mechanism [initial-response]"));
    }
}
