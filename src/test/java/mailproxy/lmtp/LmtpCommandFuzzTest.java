package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import mailproxy.testing.FuzzInputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded garbage straight at {@link LmtpCommand#parse}: lines as the connection hands them
 * over (no LF; CRs, NULs, any byte). parse never throws and always returns a command; what
 * is replayed to a backend (the LHLO name, MAIL and RCPT lines) never carries a CR, LF or
 * NUL (RFC 5321 §2.3.8), so a command line cannot grow into two at the backend.
 *
 * <p>{@code -Dmailproxy.fuzz.seed=N} runs another seed ({@code random} picks one).
 */
@Timeout(60)
class LmtpCommandFuzzTest {
    private static final int INPUTS = 5_000;

    @Test
    void parseAlwaysReturnsACommand() {
        assertEquals(List.of(), FuzzInputs.lineFailures("lmtp", INPUTS, line -> check(LmtpCommand.parse(line))));
    }

    private static String check(LmtpCommand c) {
        return switch (c) {
            case null -> "null";
            case LmtpCommand.Lhlo l when l.domain().isEmpty() || unsafe(l.domain()) -> "bad LHLO " + l;
            case LmtpCommand.Mail m when unsafe(m.line()) || m.size() < -1 -> "bad MAIL " + m;
            case LmtpCommand.Rcpt r when unsafe(r.line()) || r.address().isEmpty() -> "bad RCPT " + r;
            case LmtpCommand.Invalid i when i.reply() == null || !i.reply().matches("5\\d\\d \\d\\.\\d\\.\\d .*") -> "Invalid reply " + i.reply();
            default -> null;
        };
    }

    private static boolean unsafe(String s) {
        return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0;
    }
}
