package mailproxy.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** What the trace shows of each client-side line: the secrets of every login as ***. */
class RedactorTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            a1 LOGIN alice secret                  | a1 LOGIN alice ***
            a1 login alice "se cret"               | a1 login alice ***
            a1 LOGIN "alice smith" "pw \\" x"       | a1 LOGIN "alice smith" ***
            a1 LOGIN alice {6}                     | a1 LOGIN alice {6}
            a1 LOGIN alice {6+}                    | a1 LOGIN alice {6+}
            a1 LOGIN alice secret {6}              | a1 LOGIN alice *** {6}
            a1 LOGIN\talice\tsecret                 | a1 LOGIN\talice ***
            a1  login  alice  secret               | a1  login  alice ***
            a1 LOGIN alice "unterminated secret    | a1 LOGIN alice ***
            a1 LOGIN "alice secret                 | a1 LOGIN ***
            a1 LOGIN "alice \\" secret              | a1 LOGIN ***
            a1 LOGIN alice se"cr et"x              | a1 LOGIN alice ***
            pass\tsecret                            | pass ***
            AUTH PLAIN =                           | AUTH PLAIN ***
            a1 LOGIN {5}                           | a1 LOGIN {5}
            a1 LOGIN alice                         | a1 LOGIN alice
            a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA== | a1 AUTHENTICATE PLAIN ***
            a1 AUTHENTICATE PLAIN                  | a1 AUTHENTICATE PLAIN
            a1 CAPABILITY                          | a1 CAPABILITY
            a1 ID ("name" "x")                     | a1 ID ("name" "x")
            USER alice                             | USER alice
            PASS secret                            | PASS ***
            PASS {12}                              | PASS ***
            PASS my {12}                           | PASS ***
            APOP alice {32}                        | APOP alice ***
            AUTH PLAIN {24}                        | AUTH PLAIN ***
            a1 AUTHENTICATE PLAIN {24+}            | a1 AUTHENTICATE PLAIN {24+}
            PASS                                   | PASS
            APOP alice c4c9334bac560ecc979e58001b3e22fb | APOP alice ***
            AUTH PLAIN AGFsaWNlAHNlY3JldA==        | AUTH PLAIN ***
            AUTH LOGIN YWxpY2U=                    | AUTH LOGIN ***
            AUTH XOAUTH2 dXNlcj1h                  | AUTH XOAUTH2 ***
            AUTHENTICATE "PLAIN" "AGFsaWNlAHNlY3JldA==" | AUTHENTICATE "PLAIN" ***
            EHLO client.example                    | EHLO client.example
            XCLIENT ADDR=192.0.2.1 LOGIN=alice     | XCLIENT ADDR=192.0.2.1 LOGIN=alice
            MAIL FROM:<alice@example.org>          | MAIL FROM:<alice@example.org>
            """)
    void oneLine(String line, String shown) {
        assertEquals(shown, new Redactor().client(line, false));
    }

    /** A SASL exchange: every client line is hidden until the server answers with something else than a continuation. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("exchanges")
    void saslExchanges(String name, List<String[]> dialogue) {
        Redactor r = new Redactor();
        for (String[] step : dialogue) {
            // "L" is a client line after a literal: the rest of the same command
            if (!step[0].equals("S")) assertEquals(step[2], r.client(step[1], step[0].equals("L")), name + ": " + step[1]);
            else r.server(step[1], false);
        }
    }

    static List<Object[]> exchanges() {
        List<Object[]> out = new ArrayList<>();
        out.add(new Object[] {"SMTP AUTH LOGIN", List.of(
                c("AUTH LOGIN", "AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("YWxpY2U=", "***"),
                s("334 UGFzc3dvcmQ6"), c("c2VjcmV0", "***"), s("235 2.7.0 Authentication successful"),
                c("MAIL FROM:<a@b>", "MAIL FROM:<a@b>"))});
        out.add(new Object[] {"IMAP AUTHENTICATE, cancelled", List.of(
                c("a AUTHENTICATE PLAIN", "a AUTHENTICATE PLAIN"), s("+ "), c("*", "*"),
                s("a BAD AUTHENTICATE cancelled"), c("a LOGOUT", "a LOGOUT"))});
        out.add(new Object[] {"POP3 AUTH with an empty challenge", List.of(
                c("AUTH PLAIN", "AUTH PLAIN"), s("+"), c("AGFsaWNlAHNlY3JldA==", "***"), s("+OK logged in"),
                c("STAT", "STAT"))});
        out.add(new Object[] {"POP3 AUTH listing mechanisms", List.of(
                c("AUTH", "AUTH"), s("+OK"), s("PLAIN"), s("."), c("USER bob", "USER bob"))});
        out.add(new Object[] {"XOAUTH2 error challenge", List.of(
                c("AUTH XOAUTH2 dXNlcj1h", "AUTH XOAUTH2 ***"), s("334 eyJzdGF0dXMiOiI0MDEifQ=="), c("", "***"),
                s("535 5.7.8 failed"), c("QUIT", "QUIT"))});
        out.add(new Object[] {"ManageSieve challenge", List.of(
                c("AUTHENTICATE \"PLAIN\"", "AUTHENTICATE \"PLAIN\""), s("\"\""), c("\"AGFsaWNlAHNlY3JldA==\"", "***"),
                s("OK \"Logged in\""), c("LISTSCRIPTS", "LISTSCRIPTS"))});
        out.add(new Object[] {"IMAP LOGIN: user literal, password on the continuation line", List.of(
                c("a1 LOGIN {5+}", "a1 LOGIN {5+}"), l(" secret", " ***"), c("a2 NOOP", "a2 NOOP"))});
        out.add(new Object[] {"IMAP LOGIN: user literal, quoted password after a tab", List.of(
                c("a1 LOGIN {5}", "a1 LOGIN {5}"), s("+ go on"), l("\t\"se cret\"", " ***"))});
        out.add(new Object[] {"IMAP LOGIN: both literals, over three lines", List.of(
                c("a1 LOGIN {5}", "a1 LOGIN {5}"), l(" {6}", " {6}"), l("", ""), c("a2 LOGOUT", "a2 LOGOUT"))});
        out.add(new Object[] {"IMAP LOGIN: password literal, junk after it", List.of(
                c("a1 LOGIN alice {6}", "a1 LOGIN alice {6}"), l(" more", " ***"))});
        out.add(new Object[] {"IMAP: a harmless command's literals stay", List.of(
                c("a1 ID (\"name\" {3}", "a1 ID (\"name\" {3}"), l(" \"version\" \"1\")", " \"version\" \"1\")"))});
        out.add(new Object[] {"IMAP: a refused password literal sent anyway as a line", List.of(
                c("a1 LOGIN alice {6}", "a1 LOGIN alice {6}"), s("a1 BAD Literal too big"), c("secret", "***"),
                c("a2 NOOP", "a2 NOOP"))});
        out.add(new Object[] {"ManageSieve AUTHENTICATE with a literal response", List.of(
                c("AUTHENTICATE \"PLAIN\" {24+}", "AUTHENTICATE \"PLAIN\" {24+}"), l("", ""), s("OK"),
                c("LISTSCRIPTS", "LISTSCRIPTS"))});
        out.add(new Object[] {"ManageSieve continuation as a literal", List.of(
                c("AUTHENTICATE \"PLAIN\"", "AUTHENTICATE \"PLAIN\""), s("\"\""), c("{24+}", "{24+}"), l("", ""),
                s("OK \"Logged in\""), c("LISTSCRIPTS", "LISTSCRIPTS"))});
        out.add(new Object[] {"an untagged line does not end a SASL exchange", List.of(
                c("a AUTHENTICATE PLAIN", "a AUTHENTICATE PLAIN"), s("* OK still there"), s("+ "),
                c("AGFsaWNlAHNlY3JldA==", "***"), s("a OK done"), c("a2 NOOP", "a2 NOOP"))});
        return out;
    }

    private static String[] l(String line, String shown) { return new String[] {"L", line, shown}; }

    private static String[] c(String line, String shown) { return new String[] {"C", line, shown}; }

    private static String[] s(String line) { return new String[] {"S", line}; }
}
