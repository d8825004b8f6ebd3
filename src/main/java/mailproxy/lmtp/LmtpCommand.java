package mailproxy.lmtp;

import mailproxy.envelope.SharedCommands;
import mailproxy.envelope.SmtpFamilyParser;

/**
 * The LMTP commands (RFC 2033 §4: SMTP's, with LHLO for EHLO; RFC 5321 §4.1.1 for the
 * rest). "Verbs and argument values ... are not case sensitive" (RFC 5321 §2.4). The grammar
 * LMTP shares with SMTP (MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY, STARTTLS) is written once
 * in envelope.SmtpFamilyParser; the verbs below {@link #parse} are LMTP's alone.
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

    /** The commands LMTP shares with SMTP, as envelope.SmtpFamilyParser parses them. */
    SharedCommands<LmtpCommand> SHARED = new SharedCommands<>(
            (line, reversePath, size) -> new Mail(line, size), LmtpCommand::rcpt,
            Data::new, Rset::new, Noop::new, Quit::new, Vrfy::new, StartTls::new, Invalid::new);

    static LmtpCommand parse(String line) {
        return SmtpFamilyParser.parse(line, SHARED, LmtpCommand::ownVerb);
    }

    /** The verbs LMTP does not share with SMTP (RFC 2033 §4.1, RFC 3030), and unknown ones. */
    private static LmtpCommand ownVerb(String verb, String rest) {
        return switch (verb) {
            case "LHLO" -> rest.isBlank() ? new Invalid(SmtpFamilyParser.syntax("LHLO hostname")) : new Lhlo(rest.trim());
            case "HELO", "EHLO" -> new HeloEhlo();
            case "BDAT" -> new Bdat();
            default -> new Unknown(verb);
        };
    }

    /** Each recipient is routed by its mailbox (RFC 2033 §4.2), so a path without one is refused here. */
    private static LmtpCommand rcpt(String line, String path) {
        String address = SmtpFamilyParser.mailbox(path);
        return address.isEmpty() ? new Invalid(SmtpFamilyParser.BAD_RECIPIENT) : new Rcpt(line, address);
    }
}
