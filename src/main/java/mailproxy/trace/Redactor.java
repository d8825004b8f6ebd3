package mailproxy.trace;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import mailproxy.config.Protocol;

/**
 * Takes the secrets out of one leg's client-side lines before they reach the trace: the
 * passwords, AUTH payloads and tokens of every mail protocol's login, recognised by
 * command word and not by protocol, so that a new protocol's login is covered as long as
 * it uses these words:
 * <ul>
 * <li>{@code [tag] LOGIN user ***} (IMAP, RFC 9051 §6.2.3), {@code PASS ***} and
 *     {@code APOP user ***} (POP3, RFC 1939 §7), {@code [tag] AUTH|AUTHENTICATE mechanism ***}
 *     with its initial response (RFC 4954 §4, RFC 9051 §6.2.2 SASL-IR, RFC 5034 §4, RFC 5804 §2.1);
 * <li>a command goes on after each literal it announces ({@code {n}} / {@code {n+}} at the
 *     end of a line, RFC 9051 §4.3, RFC 7888): the line after the literal is the rest of
 *     the same command, so its arguments are counted on from where the last line stopped
 *     ({@code a1 LOGIN {5}}, literal, {@code  secret}: the password is the third argument);
 * <li>every client line of a SASL exchange, until the server answers with something else
 *     than a continuation ({@code +}, {@code + ...}, {@code 334 ...}, a ManageSieve string)
 *     or an untagged line;
 * <li>the content of every client literal is never shown at all: the legs write {@code ***}
 *     in its place. Its size is framing and stays ({@code a1 LOGIN alice {6}}), so that the
 *     dialogue can be followed.
 * </ul>
 * Arguments are split at any run of spaces, tabs or other control characters (a quoted
 * string is one argument), so that a command the protocol will refuse as malformed, but
 * which is traced all the same, hides its secret too. Over-redaction is the safe side: a
 * tag that happens to be such a word hides more.
 *
 * <p>One instance per leg before the relay (its thread only); in the relay one instance
 * serves both directions: {@link #client} on the client's thread, {@link #server} on the
 * backend's, which share only the SASL flag.
 */
final class Redactor {
    /**
     * Command word → how many of its arguments are shown before the rest becomes ***: every
     * protocol's secret commands together (config.Protocol names them).
     */
    private static final Map<String, Integer> SHOWN_ARGS = shownArgs();
    /**
     * The secret commands only protocols without literals have (POP3's PASS and APOP, RFC
     * 1939 §7; SMTP and POP3 AUTH, RFC 4954 §4, RFC 5034 §4): a "{5}" at the end of their
     * line is part of the password, not a literal's size, and is hidden with the rest.
     */
    private static final Set<String> NO_LITERALS = noLiterals();
    /** A server line in a SASL exchange that does not end it, in any protocol. */
    private static final Predicate<String> SASL_GOES_ON = saslGoesOn();
    private static Map<String, Integer> shownArgs() {
        Map<String, Integer> out = new HashMap<>();
        for (Protocol p : Protocol.values()) {
            p.spec().redaction().commands().forEach((word, shown) -> {
                Integer before = out.putIfAbsent(word, shown);
                // one word, two meanings: the fewer shown arguments is the safe side
                if (before != null && shown < before) out.put(word, shown);
            });
        }
        return Map.copyOf(out);
    }

    private static Set<String> noLiterals() {
        Set<String> with = new HashSet<>();
        Set<String> without = new HashSet<>();
        for (Protocol p : Protocol.values()) {
            (p.spec().redaction().literals() ? with : without).addAll(p.spec().redaction().commands().keySet());
        }
        without.removeAll(with);
        return Set.copyOf(without);
    }

    private static Predicate<String> saslGoesOn() {
        Predicate<String> any = line -> false;
        for (Protocol p : Protocol.values()) any = any.or(p.spec().redaction().saslGoesOn());
        return any;
    }

    static final String HIDDEN = "***";
    private static final int NONE = Integer.MAX_VALUE;

    /** Tokens the current command has had so far (over its literal continuations). */
    private int tokens;
    /** Index of the command's first secret token; {@link #NONE} for a harmless command. */
    private int secretFrom = NONE;
    /**
     * The last client line announced a literal in a secret place. If the next line is not
     * its continuation, the literal was refused and the client may be sending its bytes as a
     * line: that line is hidden.
     */
    private boolean secretLiteralAnnounced;
    /** The current command may announce literals (IMAP, ManageSieve): their sizes are shown. */
    private boolean literals = true;
    /** In a SASL exchange: every client line is hidden (the relay's two threads share it). */
    private volatile boolean inSasl;

    /**
     * A line the client side said (the client to the proxy, or the proxy to a backend).
     *
     * @param afterLiteral the line continues the command after a literal (whose content
     *     the caller shows as ***)
     * @return the line as the trace may show it
     */
    String client(String line, boolean afterLiteral) {
        boolean refusedLiteral = secretLiteralAnnounced && !afterLiteral;
        secretLiteralAnnounced = false;
        int[][] t = tokens(line);
        if (!afterLiteral) {
            tokens = 0;
            secretFrom = NONE;
            literals = true;
            if (refusedLiteral) secretFrom = 0;
            else if (inSasl) {
                if (line.equals("*")) return line; // "*" cancels (RFC 4954 §4, RFC 9051 §6.2.2): no secret
                if (t.length == 0) return HIDDEN; // an empty response (XOAUTH2's answer to an error) looks like the rest
                secretFrom = 0;
            } else {
                commandWord(line, t);
            }
        }
        int first = tokens;
        tokens += t.length;
        boolean marker = literals && t.length > 0 && literalMarker(line, t[t.length - 1]);
        if (marker && first + t.length - 1 >= secretFrom) secretLiteralAnnounced = true;
        int hideFrom = Math.max(0, secretFrom - first);
        if (secretFrom != NONE) {
            // an unterminated quoted user name runs to the end of the line, password and all
            for (int i = 0; i < hideFrom && i < t.length; i++) if (t[i][2] == UNTERMINATED) hideFrom = i;
        }
        int hideTo = marker ? t.length - 1 : t.length; // a literal's size is framing, not the secret
        if (secretFrom == NONE || hideFrom >= hideTo) return line;
        String kept = hideFrom == 0 ? "" : line.substring(0, t[hideFrom - 1][1]);
        String shown = kept + (kept.isEmpty() && !afterLiteral ? "" : " ") + HIDDEN;
        return marker ? shown + " " + line.substring(t[t.length - 1][0]) : shown;
    }

    /** The command word among the first two tokens (after an IMAP tag, or first): its secrets, and SASL. */
    private void commandWord(String line, int[][] t) {
        for (int i = 0; i < 2 && i < t.length; i++) {
            String word = line.substring(t[i][0], t[i][1]).toUpperCase(Locale.ROOT);
            Integer shown = SHOWN_ARGS.get(word);
            if (shown == null) continue;
            secretFrom = i + 1 + shown;
            literals = !NO_LITERALS.contains(word);
            if (word.startsWith("AUTH")) inSasl = true;
            return;
        }
    }

    /**
     * A line the server side said: anything but a challenge (+, + ..., 334 ..., a
     * ManageSieve string; or IMAP's untagged data), or the rest of a line after a server
     * literal, ends a SASL exchange.
     */
    void server(String line, boolean afterLiteral) {
        if (inSasl && !afterLiteral && !SASL_GOES_ON.test(line)) inSasl = false;
    }

    /** "{5}" or "{5+}" as the last token, at the very end of the line (RFC 9051 §4.3, RFC 7888). */
    private static boolean literalMarker(String line, int[] token) {
        return token[1] == line.length() && line.charAt(token[0]) == '{' && literalAtEnd(line.substring(token[0])) >= 0;
    }

    /** The size of the literal announced at the end of a line ("{5}", "{5+}"), else -1. */
    static long literalAtEnd(String line) {
        if (!line.endsWith("}")) return -1;
        int open = line.lastIndexOf('{');
        if (open < 0) return -1;
        String n = line.substring(open + 1, line.length() - 1);
        if (n.endsWith("+")) n = n.substring(0, n.length() - 1);
        if (n.isEmpty() || n.length() > 12 || !n.chars().allMatch(c -> c >= '0' && c <= '9')) return -1;
        return Long.parseLong(n);
    }

    /** The third element of a token whose quoted string has no closing quote. */
    private static final int UNTERMINATED = 1;

    /**
     * The tokens of a line as {start, end, flag}: runs of characters between spaces, tabs
     * and other control characters; a quoted string (with backslash escapes) is one token
     * even with spaces inside, and an unterminated one runs to the end of the line (flag
     * {@link #UNTERMINATED}).
     */
    static int[][] tokens(String line) {
        int[][] out = new int[8][];
        int n = 0;
        int i = 0;
        int len = line.length();
        while (true) {
            while (i < len && line.charAt(i) <= ' ') i++;
            if (i >= len) break;
            int start = i;
            int flag = 0;
            while (i < len && line.charAt(i) > ' ') {
                if (line.charAt(i) == '"') {
                    i++;
                    while (i < len && line.charAt(i) != '"') i += line.charAt(i) == '\\' ? 2 : 1;
                    if (i >= len) flag = UNTERMINATED;
                }
                i = Math.min(i + 1, len);
            }
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = new int[] {start, i, flag};
        }
        return Arrays.copyOf(out, n);
    }
}
