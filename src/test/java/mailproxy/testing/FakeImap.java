package mailproxy.testing;

import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The IMAP side of {@link FakeBackends} (RFC 9051 LOGIN and AUTHENTICATE, RFC 2971 ID,
 * RFC 7888 LITERAL+).
 */
final class FakeImap {
    /** A multiple of the pattern's period (78), so chunks join seamlessly. */
    private static final int CHUNK = 78 * 840;

    private FakeImap() {}

    static void converse(FakeBackend b, RawClient peer) throws Exception {
        RawClient c = b.hasTls() ? b.secure(peer) : peer;
        c.line(FakeBackends.IMAP_GREETING);
        boolean in = false;
        for (String line = c.readLine(); line != null; line = c.readLine()) {
            b.received(line);
            String[] w = line.split(" ", 3);
            String tag = w[0];
            String cmd = w.length > 1 ? w[1].toUpperCase(Locale.ROOT) : "";
            String rest = w.length > 2 ? w[2] : "";
            if (!in && (cmd.equals("LOGIN") || cmd.equals("AUTHENTICATE"))) {
                List<String> credentials = cmd.equals("LOGIN") ? ImapArguments.read(c, rest, "+ go on") : plain(c, rest);
                if (credentials == null) return;
                in = credentials.size() == 2 && b.login(credentials.get(0), credentials.get(1));
                c.line(tag + " " + (in ? FakeBackends.IMAP_LOGGED_IN : FakeBackends.IMAP_REFUSED));
                continue;
            }
            switch (cmd) {
                // the proxy's client-address fields (send-id, on by default): RFC 2971 answer
                case "ID" -> c.send("* ID NIL\r\n" + tag + " OK ID completed\r\n");
                case "LOGOUT" -> {
                    c.send("* BYE fake logging out\r\n" + tag + " OK LOGOUT completed\r\n");
                    return;
                }
                case "BIG" -> {
                    if (!rest.matches("\\d{1,9}")) c.line(tag + " BAD BIG wants a size");
                    else if (!big(c, tag, Integer.parseInt(rest))) return;
                }
                case "LATE" -> {
                    // answers once the proxy passed on the client's half-close
                    if (c.readLine() != null) throw new AssertionError("expected end of stream after LATE");
                    c.line(tag + " OK late answer after your FIN");
                    return;
                }
                default -> c.line(tag + " OK " + cmd + " completed");
            }
        }
    }

    /** AUTHENTICATE PLAIN with an initial response (RFC 4959) or after a "+ " challenge: user and password. */
    private static List<String> plain(RawClient c, String rest) throws Exception {
        String[] w = rest.split(" ");
        if (!w[0].equalsIgnoreCase("PLAIN")) return List.of();
        String response = w.length > 1 ? w[1] : null;
        if (response == null) {
            c.line("+ ");
            response = c.readLine();
            if (response == null) return null;
        }
        String[] credentials = FakeBackends.plain(response);
        return credentials == null ? List.of() : List.of(credentials);
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
