package mailproxy.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads a mailbox over IMAP (through a proxy or straight from Dovecot) as exact bytes. */
public final class ImapFetch {
    private ImapFetch() {}

    /** Every message in INBOX, BODY[] as stored, oldest first. */
    public static List<byte[]> inbox(int port, String user, String password) throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            c.timeout(10_000);
            c.expect("* OK");
            c.line("a LOGIN " + quote(user) + " " + quote(password));
            String l;
            do {
                l = c.readLine();
            } while (l.startsWith("* "));
            if (!l.startsWith("a OK")) throw new AssertionError("login of " + user + ": " + l);
            c.line("b SELECT INBOX");
            int exists = 0;
            for (l = c.readLine(); l.startsWith("* "); l = c.readLine()) {
                if (l.endsWith(" EXISTS")) exists = Integer.parseInt(l.split(" ")[1]);
            }
            List<byte[]> out = new ArrayList<>();
            for (int n = 1; n <= exists; n++) {
                c.line("c FETCH " + n + " BODY.PEEK[]");
                String head = c.readLine();
                int open = head.lastIndexOf('{');
                if (open < 0 || !head.endsWith("}")) throw new AssertionError("FETCH: " + head);
                out.add(c.readBytes(Integer.parseInt(head.substring(open + 1, head.length() - 1))));
                c.expect(")");
                c.expect("c OK");
            }
            c.line("z LOGOUT");
            return out;
        }
    }

    /** The messages containing {@code marker}, polling until at least one is there or {@code timeout}. */
    public static List<byte[]> containing(int port, String user, String password, String marker, Duration timeout)
            throws Exception {
        List<byte[]> found = Await.value(timeout, Duration.ofMillis(200), () -> {
            List<byte[]> these = new ArrayList<>();
            for (byte[] m : inbox(port, user, password)) {
                if (new String(m, StandardCharsets.ISO_8859_1).contains(marker)) these.add(m);
            }
            return these.isEmpty() ? null : these;
        });
        return found != null ? found : List.of();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
