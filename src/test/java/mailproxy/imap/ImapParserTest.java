package mailproxy.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import mailproxy.testing.MemoryConnection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

/**
 * {@link ImapParser}, input by input, from src/test/resources/tables/imap-reads.csv: what a
 * client sent before login, the commands read from it in order (and the exception that
 * ended the reading), and what the parser wrote back: a "+" for each synchronizing
 * literal it accepted, none for one it refused (RFC 9051 §4.3, §7.5; RFC 7888).
 */
class ImapParserTest {
    private static final int MAX_LINE = 64;
    private static final int MAX_LITERAL = 16;

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/tables/imap-reads.csv", delimiter = '|', quoteCharacter = '`')
    void eachInputReadsAsTheTableSays(String input, String commands, String written) throws IOException {
        MemoryConnection c = new MemoryConnection(MemoryConnection.unescape(input));
        ImapParser parser = new ImapParser(c.connection(), MAX_LINE, MAX_LITERAL);
        assertEquals(commands, MemoryConnection.readAll(parser::read));
        assertEquals(written, MemoryConnection.escape(c.written()));
    }
}
