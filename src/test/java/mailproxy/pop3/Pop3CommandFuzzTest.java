package mailproxy.pop3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import mailproxy.testing.FuzzInputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded garbage straight at {@link Pop3Command#parse}: lines as the connection hands them
 * over (no LF; CRs, NULs, any byte). parse never throws and always returns a command that
 * holds what RFC 1939 §3 allows; a password never shows in a command's text.
 *
 * <p>{@code -Dmailproxy.fuzz.seed=N} runs another seed ({@code random} picks one).
 */
@Timeout(60)
class Pop3CommandFuzzTest {
    private static final int INPUTS = 20_000;

    @Test
    void parseAlwaysReturnsACommand() {
        assertEquals(List.of(), FuzzInputs.lineFailures("pop3", INPUTS, line -> check(Pop3Command.parse(line))));
    }

    private static String check(Pop3Command c) {
        return switch (c) {
            case null -> "null";
            case Pop3Command.User u when u.name().isEmpty() || u.name().indexOf(' ') >= 0 || u.name().indexOf('\0') >= 0 ->
                    "bad USER name";
            case Pop3Command.Pass p when p.password().indexOf('\0') >= 0 -> "NUL in a password";
            case Pop3Command.Pass p when p.password().length() > 4 && p.toString().contains(p.password()) -> "password in toString";
            case Pop3Command.Auth a when a.mechanism() == null && a.initialResponse() != null -> "response without mechanism";
            case Pop3Command.Invalid i when i.reply() == null || i.reply().isEmpty() -> "Invalid without a reply";
            case Pop3Command.Unknown u when u.keyword() == null -> "Unknown without a keyword";
            default -> null;
        };
    }
}
