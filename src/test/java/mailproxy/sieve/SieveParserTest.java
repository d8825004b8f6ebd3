package mailproxy.sieve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import mailproxy.testing.MemoryConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

/**
 * {@link SieveParser}, input by input (RFC 5804 §4), from two tables in
 * src/test/resources/tables: sieve-reads.csv, the commands read from what a client sent
 * before login (and the exception that ended the reading), and sieve-answers.csv, what
 * {@link SieveParser#readString()} makes of an answer to an AUTHENTICATE challenge. A
 * ManageSieve client's literal never gets a continuation: nothing is ever written.
 */
class SieveParserTest {
    private static final int MAX_LINE = 64;
    private static final int MAX_LITERAL = 16;

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/tables/sieve-reads.csv", delimiter = '|', quoteCharacter = '`')
    void eachInputReadsAsTheTableSays(String input, String commands) throws IOException {
        MemoryConnection c = new MemoryConnection(MemoryConnection.unescape(input));
        SieveParser parser = new SieveParser(c.connection(), MAX_LINE, MAX_LITERAL);
        assertEquals(commands, MemoryConnection.readAll(parser::read));
        assertEquals("", c.written());
    }

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/tables/sieve-answers.csv", delimiter = '|', quoteCharacter = '`')
    void eachAnswerReadsAsTheTableSays(String input, String answer) throws IOException {
        MemoryConnection c = new MemoryConnection(MemoryConnection.unescape(input));
        SieveParser parser = new SieveParser(c.connection(), MAX_LINE, MAX_LITERAL);
        String got;
        try {
            got = parser.readString();
        } catch (SieveParser.MalformedResponse e) {
            got = "MalformedResponse: " + e.getMessage();
        } catch (IOException e) {
            got = e.getClass().getSimpleName();
        }
        assertEquals(answer, MemoryConnection.escape(got));
    }

    /** RFC 5804 §4: quoted = DQUOTE *1024QUOTED-CHAR DQUOTE; a longer one is refused, the line goes on. */
    @Test
    void aQuotedStringHoldsAtMost1024Characters() throws IOException {
        String fits = "x".repeat(SieveParser.MAX_QUOTED);
        MemoryConnection c = new MemoryConnection("NOOP \"" + fits + "\"\r\nNOOP \"" + fits + "y\"\r\nNOOP \"\\\\" + fits + "\"\r\n");
        SieveParser parser = new SieveParser(c.connection(), 4096, MAX_LITERAL);
        assertEquals("Parsed[NOOP, 1 args]", parser.read().toString());
        assertEquals("Invalid[reason=Quoted string too long, close=false]", parser.read().toString());
        assertEquals("Invalid[reason=Quoted string too long, close=false]", parser.read().toString());
    }
}
