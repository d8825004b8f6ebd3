package mailproxy.trace;

import java.util.Locale;
import java.util.Map;

/**
 * Takes the secrets out of one leg's client-side lines before they reach the trace: the
 * passwords, AUTH payloads and tokens of every mail protocol's login, recognised by
 * command word and not by protocol, so that a new protocol's login is covered as long as
 * it uses these words:
 * <ul>
 * <li>{@code [tag] LOGIN user ***} (IMAP, RFC 9051 §6.2.3), {@code PASS ***} and
 *     {@code APOP user ***} (POP3, RFC 1939 §7), {@code [tag] AUTH|AUTHENTICATE mechanism ***}
 *     with its initial response (RFC 4954 §4, RFC 9051 §6.2.2 SASL-IR, RFC 5034 §4, RFC 5804 §2.1);
 * <li>every client line of a SASL exchange, until the server answers with something else
 *     than a continuation ({@code +}, {@code + ...}, {@code 334 ...}, or a ManageSieve string);
 * <li>the content of every literal ({@code {n}} / {@code {n+}}, RFC 9051 §4.3) is never
 *     shown at all: the legs write {@code ***} in its place. Its size is framing and stays
 *     ({@code a1 LOGIN alice {6}}), so that the dialogue can be followed.
 * </ul>
 * Over-redaction is the safe side: a tag that happens to be such a word hides more.
 */
final class Redactor {
    /** Command word → how many of its arguments are shown before the rest becomes ***. */
    private static final Map<String, Integer> SHOWN_ARGS = Map.of(
            "LOGIN", 1, "PASS", 0, "APOP", 1, "AUTH", 1, "AUTHENTICATE", 1);
    static final String HIDDEN = "***";

    private boolean inSasl;

    /** A line the client side said (the client to the proxy, or the proxy to a backend). */
    String client(String line) {
        if (inSasl) return line.equals("*") ? line : HIDDEN; // "*" cancels (RFC 4954 §4), no secret
        int[] ends = tokenEnds(line, 3);
        for (int cmd = 0; cmd < 2 && cmd < ends.length; cmd++) {
            String word = line.substring(cmd == 0 ? 0 : ends[cmd - 1] + 1, ends[cmd]).toUpperCase(Locale.ROOT);
            Integer shown = SHOWN_ARGS.get(word);
            if (shown == null) continue;
            if (word.startsWith("AUTH")) inSasl = true;
            int last = cmd + shown; // the last token shown
            if (last >= ends.length) return line;
            String rest = line.substring(ends[last]).strip();
            // a literal's size alone is framing, not the secret: its content is hidden where it comes
            if (rest.isEmpty() || Leg.literalAtEnd(rest) > 0 && rest.indexOf(' ') < 0 && rest.startsWith("{")) return line;
            return line.substring(0, ends[last]) + " " + HIDDEN;
        }
        return line;
    }

    /** A line the server side said: anything but a continuation ends a SASL exchange. */
    void server(String line) {
        if (inSasl && !continuation(line)) inSasl = false;
    }

    private static boolean continuation(String line) {
        return line.equals("+") || line.startsWith("+ ") || line.startsWith("334")
                || line.startsWith("\"") || line.startsWith("{"); // ManageSieve challenges (RFC 5804 §2.1)
    }

    /**
     * Where the first {@code max} space-separated tokens end (a quoted string with
     * backslash escapes is one token); fewer when the line has fewer.
     */
    static int[] tokenEnds(String line, int max) {
        int[] ends = new int[max];
        int n = 0;
        int i = 0;
        while (i < line.length() && n < max) {
            if (line.charAt(i) == '"') {
                i++;
                while (i < line.length() && line.charAt(i) != '"') i += line.charAt(i) == '\\' ? 2 : 1;
                i = Math.min(i + 1, line.length());
            }
            while (i < line.length() && line.charAt(i) != ' ') i++;
            ends[n++] = i;
            i++;
        }
        return java.util.Arrays.copyOf(ends, n);
    }
}
