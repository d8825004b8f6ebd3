package mailproxy.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Reads mail back over POP3 (through the proxy) as exact bytes, for end-to-end checks. */
public final class Pop3Fetch {
    private Pop3Fetch() {}

    /**
     * The newest message containing {@code marker}, dot-unstuffed with CRLF line ends;
     * polls (delivery is asynchronous) until {@code timeout}.
     */
    public static byte[] containing(int port, String user, String password, String marker, Duration timeout) throws Exception {
        byte[] found = Await.value(timeout, Duration.ofMillis(200), () -> once(port, user, password, marker));
        if (found == null) throw new AssertionError("no message with " + marker + " in " + user + "'s mailbox");
        return found;
    }

    private static byte[] once(int port, String user, String password, String marker) throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            c.timeout(10_000);
            c.expect("+OK");
            c.exchange("USER " + user, "+OK", "PASS " + password, "+OK");
            c.line("STAT");
            int count = Integer.parseInt(c.expect("+OK ").split(" ")[1]);
            for (int n = count; n >= 1 && n > count - 20; n--) {
                c.line("RETR " + n);
                c.expect("+OK");
                byte[] m = readMultiline(c);
                if (new String(m, StandardCharsets.ISO_8859_1).contains(marker)) {
                    c.line("QUIT");
                    return m;
                }
            }
            c.line("QUIT");
            c.expect("+OK");
            return null;
        }
    }

    /** RFC 1939 §3: lines up to "." alone, a leading "." removed from the others. */
    private static byte[] readMultiline(RawClient c) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 1_000_000; i++) {
            String line = c.readLine();
            if (line == null) throw new AssertionError("connection closed inside RETR");
            if (line.equals(".")) return b.toByteArray();
            b.writeBytes((line.startsWith(".") ? line.substring(1) : line).getBytes(StandardCharsets.ISO_8859_1));
            b.writeBytes(new byte[] {'\r', '\n'});
        }
        throw new AssertionError("RETR too long");
    }
}
