package mailproxy.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The IMAP side of {@link FakeBackends} (RFC 9051 LOGIN and AUTHENTICATE, RFC 7888 LITERAL+). */
final class FakeImap {
    /** A multiple of the pattern's period (78), so chunks join seamlessly. */
    private static final int CHUNK = 78 * 840;
    private static final Pattern LITERAL = Pattern.compile("\\{(\\d+)(\\+?)}$");

    private FakeImap() {}

    static void converse(FakeBackend b, RawClient peer) throws Exception {
        RawClient c = b.hasTls() ? b.secure(peer) : peer;
        c.line("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN] fake imap ready");
        String line = c.readLine();
        if (line == null) return;
        b.received(line);
        if (line.matches("\\S+ ID .*")) {
            // the proxy's client-address fields (send-id, on by default): RFC 2971 answer
            String idTag = line.substring(0, line.indexOf(' '));
            c.send("* ID NIL\r\n" + idTag + " OK ID completed\r\n");
            line = c.readLine();
            if (line == null) return;
            b.received(line);
        }
        String tag = line.substring(0, line.indexOf(' '));
        String command = line.substring(tag.length() + 1);
        List<String> credentials;
        if (command.toUpperCase(Locale.ROOT).startsWith("LOGIN ")) {
            credentials = literals(c, command.substring(6));
        } else {
            assertTrue(command.toUpperCase(Locale.ROOT).startsWith("AUTHENTICATE PLAIN "), "expected a login, got " + line);
            credentials = Arrays.asList(Sasl.unb64(command.substring(19)).split("\0", -1)).subList(1, 3);
        }
        if (!b.login(credentials.get(0), credentials.get(1))) {
            c.line(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.");
            return;
        }
        c.line(tag + " OK [CAPABILITY IMAP4rev1 IDLE] fake logged in");
        while ((line = c.readLine()) != null) {
            b.received(line);
            String[] w = line.split(" ");
            String cmd = w.length > 1 ? w[1].toUpperCase(Locale.ROOT) : "";
            switch (cmd) {
                case "LOGOUT" -> {
                    c.send("* BYE fake logging out\r\n" + w[0] + " OK LOGOUT completed\r\n");
                    return;
                }
                case "BIG" -> {
                    if (!big(c, w[0], Integer.parseInt(w[2]))) return;
                }
                case "LATE" -> {
                    // answers once the proxy passed on the client's half-close
                    if (c.readLine() != null) throw new AssertionError("expected end of stream after LATE");
                    c.line(w[0] + " OK late answer after your FIN");
                    return;
                }
                default -> c.line(w[0] + " OK " + cmd + " completed");
            }
        }
    }

    /**
     * The proxy's LOGIN arguments, literals all: {@code {3+}\r\nbob {6+}\r\nsecret\r\n} or
     * synchronizing ones, each answered with a continuation request.
     */
    private static List<String> literals(RawClient c, String rest) throws Exception {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Matcher m = LITERAL.matcher(rest);
            if (!m.find()) break;
            if (m.group(2).isEmpty()) c.line("+ go on");
            values.add(new String(c.readBytes(Integer.parseInt(m.group(1))), StandardCharsets.ISO_8859_1));
            rest = c.readLine();
        }
        assertTrue(values.size() == 2, "expected user and password as literals, got " + values);
        return values;
    }

    /** A FETCH answer with an n-byte literal; false when the client went away meanwhile. */
    private static boolean big(RawClient c, String tag, int n) throws Exception {
        c.line("* 1 FETCH (BODY[] {" + n + "}");
        try {
            byte[] chunk = FakeBackends.pattern(CHUNK);
            for (int left = n; left > 0; left -= CHUNK) {
                c.send(left >= CHUNK ? chunk : Arrays.copyOf(chunk, left));
            }
        } catch (SocketException e) {
            return false; // a test that closes before reading it all
        }
        c.line(")");
        c.line(tag + " OK FETCH completed");
        return true;
    }
}
