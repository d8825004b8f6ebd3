package mailproxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.LogCapture;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;

/**
 * Issue 19: a login name is the client's to choose, and it lands in the session line and
 * the audit line. A name with a space and "outcome=..." must not add a field, and bytes
 * that a log viewer takes for a line end (NEL, U+2028) or a change of direction (U+202E)
 * must not reach the log as such: a reader of the key=value line gets back exactly the
 * name the client sent, and the real outcome.
 */
class LogForgingTest {
    private static final String PASSWORD = "Tr0ub4dor&3-do-not-log";

    /**
     * The name as the proxy holds it, one char per byte (ISO-8859-1): a forged field, a raw
     * C1 NEL byte, then UTF-8 for U+0085 (NEL), U+2028 (line separator), U+202E
     * (right-to-left override) and U+2066 (left-to-right isolate), then a quote and an equals.
     */
    private static final String USER = "x outcome=LOGOUT\u0085 y=1 "
            + utf8AsBytes("\u0085 \u2028 \u202e gpj.exe \u2066") + " \"q\"=\\";

    private static String utf8AsBytes(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aForgedUserNameIsOneQuotedFieldInTheSessionAndAuditLines() throws Exception {
        try (LogCapture log = new LogCapture();
             FakeBackend backend = FakeBackends.imap().password(PASSWORD).start();
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       backends { store { host = "127.0.0.1", imap { port = %d } } }
                       routers { r { type = static, default = store } }
                       listeners = [ { name = mail, protocol = imap, listen = "127.0.0.1:0" } ]
                     }
                     """.formatted(backend.port()));
             RawClient c = RawClient.connect(proxy.port("mail"))) {
            c.expect("* OK");
            // C: a1 LOGIN {n}  S: +  C: <the name> "<password>"
            byte[] name = USER.getBytes(StandardCharsets.ISO_8859_1);
            c.line("a1 LOGIN {" + name.length + "}");
            c.expect("+");
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            rest.write(name);
            rest.write((" \"" + PASSWORD + "\"\r\n").getBytes(StandardCharsets.ISO_8859_1));
            c.send(rest.toByteArray());
            c.expect("a1 OK");
            c.line("a2 LOGOUT");
            c.expect("* BYE");

            String sessionLine = log.awaitLine(Duration.ofSeconds(5), " session - imap ");
            String auditLine = log.awaitLine(Duration.ofSeconds(5), " audit - time=");

            Map<String, String> session = fields(sessionLine.substring(sessionLine.indexOf(" session - imap ") + 16));
            assertEquals(USER, session.get("user"), sessionLine);
            assertTrue(session.get("outcome").matches("(backend|client)-closed|logout"), "the real outcome: " + sessionLine);
            assertFalse(session.containsKey("y"), sessionLine);

            Map<String, String> audit = fields(auditLine.substring(auditLine.indexOf(" audit - ") + 9));
            assertEquals(USER, audit.get("user"), auditLine);
            assertEquals("success", audit.get("result"), auditLine);
            assertFalse(audit.containsKey("outcome") || audit.containsKey("y"), auditLine);

            for (String line : new String[] {sessionLine, auditLine}) {
                assertTrue(line.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f), "printable ASCII only: " + line);
            }
            assertFalse(log.text().contains(PASSWORD), "a password in the log");
        }
    }

    /**
     * A strict reader of key=value lines: pairs separated by one space; a value is bare
     * (no space, quote, equals or backslash) or in double quotes with \" \\ \xNN \\uNNNN
     * escapes. A key seen twice fails: that is a forged field.
     */
    static Map<String, String> fields(String line) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        while (i < line.length()) {
            int eq = line.indexOf('=', i);
            if (eq < 0) fail("no '=' after position " + i + " of " + line);
            String key = line.substring(i, eq);
            if (!key.matches("[a-z-]+")) fail("not a key: '" + key + "' in " + line);
            StringBuilder v = new StringBuilder();
            i = eq + 1;
            if (i < line.length() && line.charAt(i) == '"') {
                for (i++; ; i++) {
                    if (i >= line.length()) fail("unterminated quote in " + line);
                    char ch = line.charAt(i);
                    if (ch == '"') {
                        i++;
                        break;
                    }
                    if (ch != '\\') {
                        v.append(ch);
                        continue;
                    }
                    char e = line.charAt(++i);
                    switch (e) {
                        case '"', '\\' -> v.append(e);
                        case 'x' -> {
                            v.append((char) Integer.parseInt(line.substring(i + 1, i + 3), 16));
                            i += 2;
                        }
                        case 'u' -> {
                            v.append((char) Integer.parseInt(line.substring(i + 1, i + 5), 16));
                            i += 4;
                        }
                        default -> fail("unknown escape \\" + e + " in " + line);
                    }
                }
            } else {
                while (i < line.length() && line.charAt(i) != ' ') {
                    char ch = line.charAt(i++);
                    if (ch == '"' || ch == '=' || ch == '\\') fail("'" + ch + "' in a bare value of " + line);
                    v.append(ch);
                }
            }
            if (out.put(key, v.toString()) != null) fail("field " + key + " twice in " + line);
            if (i < line.length()) {
                if (line.charAt(i) != ' ') fail("no space after the value of " + key + " in " + line);
                i++;
            }
        }
        return out;
    }
}
