package mailproxy.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link LmtpCommand#parse}, line by line: the command each line is, as the session sees
 * it (RFC 2033 §4, RFC 5321 §4.1.1; verbs in any case, RFC 5321 §2.4). {@code \r} and
 * {@code \0} in a line stand for a CR and a NUL.
 */
class LmtpCommandTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            // line                                         | the command
            "LHLO mta.example                               | Lhlo[domain=mta.example]",
            "lhlo   mta.example                             | Lhlo[domain=mta.example]",
            "LHLO                                           | Invalid[reply=501 5.5.4 Syntax: LHLO hostname]",
            "EHLO mta.example                               | HeloEhlo[]",
            "HELO mta.example                               | HeloEhlo[]",
            "MAIL FROM:<a@b.example>                        | Mail[line=MAIL FROM:<a@b.example>, size=-1]",
            "mail from:<> SIZE=1000 BODY=8BITMIME           | Mail[line=mail from:<> SIZE=1000 BODY=8BITMIME, size=1000]",
            "MAIL FROM: <a@b.example>                       | Mail[line=MAIL FROM: <a@b.example>, size=-1]",
            "MAIL FROM:<a@b> SIZE=999999999999999999999     | Invalid[reply=501 5.5.4 Bad SIZE parameter]",
            "MAIL FROM:<a@b> SIZE=99999999999999999999      | Mail[line=MAIL FROM:<a@b> SIZE=99999999999999999999, size=9223372036854775807]",
            "MAIL FROM:<a@b> SIZE=-1                        | Invalid[reply=501 5.5.4 Bad SIZE parameter]",
            "MAIL FROM:<a@b> SIZE=                          | Invalid[reply=501 5.5.4 Bad SIZE parameter]",
            "MAIL FROM:<unclosed                            | Invalid[reply=501 5.1.7 Bad sender address syntax]",
            "MAIL FROM:                                     | Invalid[reply=501 5.1.7 Bad sender address syntax]",
            "MAIL TO:<a@b>                                  | Invalid[reply=501 5.5.4 Syntax: MAIL FROM:<address>]",
            "RCPT TO:<u@one.test>                           | Rcpt[line=RCPT TO:<u@one.test>, address=u@one.test]",
            "rcpt to:<@relay.example,@r2:u@one.test> NOTIFY=NEVER | Rcpt[line=rcpt to:<@relay.example,@r2:u@one.test> NOTIFY=NEVER, address=u@one.test]",
            "RCPT TO:u@one.test                             | Rcpt[line=RCPT TO:u@one.test, address=u@one.test]",
            "RCPT TO:<>                                     | Invalid[reply=501 5.1.3 Bad recipient address syntax]",
            "RCPT TO:<@a,@b:>                               | Invalid[reply=501 5.1.3 Bad recipient address syntax]",
            "RCPT FROM:<u@one.test>                         | Invalid[reply=501 5.5.4 Syntax: RCPT TO:<address>]",
            "DATA                                           | Data[]",
            "DATA x                                         | Invalid[reply=501 5.5.4 Syntax: DATA]",
            "RSET                                           | Rset[]",
            "RSET x                                         | Invalid[reply=501 5.5.4 Syntax: RSET]",
            "NOOP anything                                  | Noop[]",
            "QUIT                                           | Quit[]",
            "VRFY bob                                       | Vrfy[]",
            "VRFY                                           | Invalid[reply=501 5.5.4 Syntax: VRFY address]",
            "STARTTLS                                       | StartTls[]",
            "STARTTLS now                                   | Invalid[reply=501 5.5.4 Syntax: STARTTLS]",
            "BDAT 10 LAST                                   | Bdat[]",
            "AUTH PLAIN                                     | Unknown[verb=AUTH]",
            "''                                             | Invalid[reply=500 5.5.2 Error: bad syntax]",
            "MAIL FROM:<a@b>\\rRCPT TO:<c@d>                | Invalid[reply=500 5.5.2 Error: bad syntax]",
            "LHLO a\\0b                                     | Invalid[reply=500 5.5.2 Error: bad syntax]",
    })
    void eachLineIsOneCommand(String line, String expected) {
        String raw = line.replace("\\r", "\r").replace("\\0", "\0");
        assertEquals(expected, LmtpCommand.parse(raw).toString());
    }

    /**
     * The table LMTP shares with SMTP (src/test/resources/tables/smtp-family-lines.csv: the
     * line, then what SMTP and what LMTP make of it); this is its LMTP column.
     */
    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/tables/smtp-family-lines.csv", delimiter = '|', quoteCharacter = '\'')
    void eachLineOfTheSharedTable(String line, String smtp, String lmtp) {
        String raw = line.replace("\\r", "\r").replace("\\0", "\0").replace("\\t", "\t");
        String parsed = LmtpCommand.parse(raw).toString();
        assertEquals(lmtp, parsed.replace("\r", "\\r").replace("\0", "\\0").replace("\t", "\\t"));
    }
}
