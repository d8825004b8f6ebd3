package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import mailproxy.testing.MemoryConnection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link CommandReader}, one string at a time (line-length 32, literal-size 8), under the
 * two sets of rules IMAP and ManageSieve give it: "sync", a continuation before a {n}
 * literal (RFC 9051 §4.3) and no cap on quoted strings; "none", no continuation, so {n} is
 * taken as {n+} (RFC 5804 §4), quoted strings of at most 4 chars without a NUL, sizes of at
 * most 3 digits. Each row: the rules, the command's budget, what the client sent, then the
 * string read and [what is left of the line] (or the problem and whether to close), and what was
 * written back. \r, \n, \0 stand for CR, LF, NUL.
 */
class CommandReaderTest {
    private static final CommandReader.Rules SYNC =
            new CommandReader.Rules("+ go\r\n", Integer.MAX_VALUE, "\0\r\n", Integer.MAX_VALUE, Enum::name);
    private static final CommandReader.Rules NONE = new CommandReader.Rules(null, 4, "\0", 3, Enum::name);

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            // rules | budget | input                      | string, then the line left / problem | written
            "sync    | 99     | \"a\\\\b\\\"c\" rest\\r\\n | a\\b\"c, then [ rest]                   | ``",
            "sync    | 99     | \"a\\x\"\\r\\n             | QUOTED_BAD_ESCAPE                      | ``",
            "sync    | 99     | \"a\\rb\"\\r\\n            | QUOTED_BAD_CHAR                        | ``",
            "none    | 99     | \"a\\rb\"\\r\\n            | a\\rb, then []                          | ``",
            "none    | 99     | \"a\\0b\"\\r\\n            | QUOTED_BAD_CHAR                        | ``",
            "none    | 99     | \"abcd\"\\r\\n             | abcd, then []                          | ``",
            "none    | 99     | \"abcde\"\\r\\n            | QUOTED_TOO_LONG                        | ``",
            "sync    | 99     | \"abc\\r\\n                | QUOTED_UNTERMINATED                    | ``",
            "sync    | 99     | {3}\\r\\nabc x\\r\\n       | abc, then [ x]                         | + go\\r\\n",
            "sync    | 99     | {3+}\\r\\nabc x\\r\\n      | abc, then [ x]                         | ``",
            "none    | 99     | {3}\\r\\nabc x\\r\\n       | abc, then [ x]                         | ``",
            "sync    | 99     | {9}\\r\\n                  | LITERAL_TOO_BIG                        | ``",
            "sync    | 99     | {9+}\\r\\n                 | LITERAL_TOO_BIG, close                 | ``",
            "none    | 99     | {9}\\r\\n                  | LITERAL_TOO_BIG, close                 | ``",
            "sync    | 5      | {8}\\r\\n                  | LITERAL_TOO_BIG                        | ``",
            "sync    | 10     | {8}\\r\\n12345678 abc\\r\\n | COMMAND_TOO_LONG                       | + go\\r\\n",
            "sync    | 99     | {99999999999999999999}\\r\\n | LITERAL_TOO_BIG                      | ``",
            "none    | 99     | {1234}\\r\\n               | LITERAL_BAD_SIZE                       | ``",
            "none    | 99     | {123}\\r\\n                | LITERAL_TOO_BIG, close                 | ``",
            "sync    | 99     | {}\\r\\n                   | LITERAL_BAD_SIZE                       | ``",
            "sync    | 99     | {+}\\r\\n                  | LITERAL_BAD_SIZE                       | ``",
            "sync    | 99     | {-1}\\r\\n                 | LITERAL_BAD_SIZE                       | ``",
            "sync    | 99     | {3} x\\r\\n                | LITERAL_NOT_AT_END                     | ``",
            "none    | 99     | }\\r\\n                    | LITERAL_NOT_AT_END                     | ``",
            "sync    | 99     | {3}\\r\\nab                | EOFException                           | + go\\r\\n",
            "sync    | 99     | {3}\\r\\nabc               | EOFException                           | + go\\r\\n",
            "sync    | 99     | {3}\\r\\nabc 0123456789012345678901234567890123\\r\\n | LineTooLongException | + go\\r\\n",
    })
    void eachStringReadsAsTheTableSays(String rules, long budget, String input, String expected, String written) throws IOException {
        MemoryConnection c = new MemoryConnection(MemoryConnection.unescape(input));
        CommandReader reader = new CommandReader(c.connection(), 32, 8, rules.equals("sync") ? SYNC : NONE);
        String got;
        try {
            reader.begin(budget);
            String s = reader.at('"') ? reader.quoted() : reader.literal();
            got = s + ", then [" + reader.takeWhile(ch -> true) + "]";
        } catch (CommandSyntaxException e) {
            got = e.getMessage() + (e.close() ? ", close" : "");
        } catch (IOException e) {
            got = e.getClass().getSimpleName();
        }
        assertEquals(expected, MemoryConnection.escape(got));
        assertEquals(written, MemoryConnection.escape(c.written()));
    }
}
