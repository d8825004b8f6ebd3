package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

/**
 * {@link SmtpCommand#parse}, line by line, from the table SMTP and LMTP share
 * (src/test/resources/tables/smtp-family-lines.csv: the line, then what SMTP and what
 * LMTP make of it): the envelope grammar is written once (mailproxy.envelope), and the
 * table shows where the two protocols agree and where they part (EHLO, AUTH, LHLO, BDAT,
 * and LMTP's RCPT naming the mailbox).
 */
class SmtpCommandTest {
    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/tables/smtp-family-lines.csv", delimiter = '|', quoteCharacter = '\'')
    void eachLineIsOneCommand(String line, String smtp, String lmtp) {
        assertEquals(smtp, shown(SmtpCommand.parse(wire(line)).toString()));
    }

    /** The table's \r, \0 and \t as the bytes they stand for. */
    static String wire(String line) {
        return line.replace("\\r", "\r").replace("\\0", "\0").replace("\\t", "\t");
    }

    static String shown(String parsed) {
        return parsed.replace("\r", "\\r").replace("\0", "\\0").replace("\t", "\\t");
    }
}
