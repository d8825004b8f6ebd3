package mailproxy.testing;

import java.util.List;
import java.util.Locale;

/**
 * The ManageSieve side of {@link FakeBackends} (RFC 5804): the capability list, then
 * AUTHENTICATE "PLAIN" with its response as a quoted string or a literal, or after an
 * empty challenge (§2.1); a refused login may be tried again; then OK to any command,
 * LOGOUT ends the session.
 */
final class FakeSieve {
    static final String GREETING = "\"IMPLEMENTATION\" \"fake sieve\"\r\n\"SASL\" \"PLAIN\"\r\n"
            + "\"SIEVE\" \"fileinto\"\r\n\"VERSION\" \"1.0\"\r\nOK \"fake sieve ready\"\r\n";

    private FakeSieve() {}

    static void converse(FakeBackend b, RawClient c) throws Exception {
        c.send(GREETING);
        boolean in = false;
        for (String line = c.readLine(); line != null; line = c.readLine()) {
            b.received(line);
            List<String> words = ImapArguments.read(c, line, null);
            if (words == null) return;
            String verb = words.isEmpty() ? "" : words.get(0).toUpperCase(Locale.ROOT);
            if (verb.equals("LOGOUT")) {
                c.line("OK \"bye\"");
                return;
            } else if (!in && verb.equals("AUTHENTICATE")) {
                String response = words.size() > 2 ? words.get(2) : challenge(c);
                if (response == null) return;
                String[] credentials = words.size() > 1 && words.get(1).equalsIgnoreCase("PLAIN") ? FakeBackends.plain(response) : null;
                in = credentials != null && b.login(credentials[0], credentials[1]);
                c.line(in ? "OK \"fake logged in\"" : "NO \"Authentication failed.\"");
            } else if (!in) {
                c.line("NO \"what?\"");
            } else {
                c.line("OK \"" + verb + " completed\"");
            }
        }
    }

    /** An empty server challenge (RFC 5804 §2.1); the client's response, a string, or null at end of stream. */
    private static String challenge(RawClient c) throws Exception {
        c.line("\"\"");
        String line = c.readLine();
        if (line == null) return null;
        List<String> response = ImapArguments.read(c, line, null);
        return response == null || response.isEmpty() ? "" : response.get(0);
    }
}
