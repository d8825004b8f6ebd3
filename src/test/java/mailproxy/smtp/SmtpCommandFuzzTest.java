package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import mailproxy.testing.FuzzInputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded garbage straight at {@link SmtpCommand#parse}: lines as the connection hands them
 * over (no LF; CRs, NULs, any byte). parse never throws and always returns a command; a
 * line replayed to a backend in MX mode (MAIL, RCPT) never carries a CR or a NUL
 * (RFC 5321 §2.3.8); an AUTH initial response never shows in the command's text.
 *
 * <p>{@code -Dmailproxy.fuzz.seed=N} runs another seed ({@code random} picks one).
 */
@Timeout(60)
class SmtpCommandFuzzTest {
    private static final int INPUTS = 20_000;

    @Test
    void parseAlwaysReturnsACommand() {
        assertEquals(List.of(), FuzzInputs.lineFailures("smtp", INPUTS, line -> check(SmtpCommand.parse(line))));
    }

    private static String check(SmtpCommand c) {
        return switch (c) {
            case null -> "null";
            case SmtpCommand.Mail m when unsafe(m.line()) || m.path().isEmpty() || m.size() < -1 -> "bad MAIL " + m;
            case SmtpCommand.Rcpt r when unsafe(r.line()) || r.path().isEmpty() || r.path().equals("<>") -> "bad RCPT " + r;
            case SmtpCommand.Ehlo e when e.domain().isEmpty() || unsafe(e.domain()) -> "bad EHLO";
            case SmtpCommand.Helo h when h.domain().isEmpty() || unsafe(h.domain()) -> "bad HELO";
            case SmtpCommand.Auth a when a.mechanism().isEmpty() -> "AUTH without mechanism";
            case SmtpCommand.Auth a when a.initialResponse() != null && a.initialResponse().length() > 4
                    && a.toString().contains(a.initialResponse()) -> "initial response in toString";
            case SmtpCommand.Invalid i when i.reply() == null || !i.reply().matches("5\\d\\d .*") -> "Invalid reply " + i.reply();
            default -> null;
        };
    }

    private static boolean unsafe(String s) {
        return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0;
    }
}
