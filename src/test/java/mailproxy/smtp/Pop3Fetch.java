package mailproxy.smtp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mailproxy.testing.RawClient;

/** Reads mail back over POP3 (through the proxy) as exact bytes, for end-to-end checks. */
final class Pop3Fetch {
    private Pop3Fetch() {}

    /**
     * The newest message containing {@code marker}, dot-unstuffed with CRLF line ends;
     * polls (delivery is asynchronous) until {@code timeout}.
     */
    static byte[] containing(int port, String user, String password, String marker, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            byte[] found = once(port, user, password, marker);
            if (found != null) return found;
            if (System.nanoTime() - deadline > 0) throw new AssertionError("no message with " + marker + " in " + user + "'s mailbox");
            Thread.sleep(200);
        }
    }

    private static byte[] once(int port, String user, String password, String marker) throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            c.timeout(10_000);
            c.expect("+OK");
            c.line("USER " + user);
            c.expect("+OK");
            c.line("PASS " + password);
            c.expect("+OK");
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
