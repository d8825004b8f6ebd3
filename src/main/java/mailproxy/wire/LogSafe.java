package mailproxy.wire;

/**
 * Makes client-supplied text safe for one log line (docs/SECURITY.md, "Log lines cannot be forged"): bounded
 * length, and nothing but printable ASCII, so that no byte a client sent can end the line,
 * look like another field, or reorder what a terminal shows.
 *
 * <p>The proxy holds protocol text as ISO-8859-1 characters, one per byte the client sent
 * (wire.Connection), so a UTF-8 sequence such as U+2028 (line separator), U+0085 (NEL) or
 * U+202E (right-to-left override) arrives here as its bytes. Every character outside
 * 0x20–0x7E is written as {@code \xNN} (up to 0xFF: the byte itself) or {@code \\uNNNN}
 * (text that did not come from the wire, e.g. an exception message), and a backslash as
 * {@code \\}, the same escapes as nginx's {@code log_format escape=default}: the escaped
 * text decodes back to exactly what was received.
 */
public final class LogSafe {
    /** Escaped characters shown at most; the rest is cut and "..." marks the cut. */
    static final int MAX_SHOWN = 128;

    private LogSafe() {}

    /** For free text in a message: escaped, bounded, never quoted; null is "-". */
    public static String text(String s) {
        return text(s, MAX_SHOWN);
    }

    /** As {@link #text(String)}, with at most {@code maxShown} escaped characters before the "...". */
    public static String text(String s, int maxShown) {
        if (s == null) return "-";
        StringBuilder b = new StringBuilder(Math.min(s.length(), maxShown) + 8);
        escape(s, b, false, maxShown);
        return b.toString();
    }

    /**
     * For a field of a key=value line: written as is when it is printable ASCII without a
     * space, {@code "}, {@code =} or {@code \}; otherwise in double quotes with {@code \"},
     * {@code \\}, {@code \xNN} and {@code \\uNNNN} escapes, so that a parser of the line
     * always finds the field's end where the proxy put it. null is "-" (no value), the
     * empty string {@code ""}.
     */
    public static String value(String s) {
        if (s == null) return "-";
        if (bare(s)) return s;
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_SHOWN) + 10).append('"');
        escape(s, b, true, MAX_SHOWN);
        return b.append('"').toString();
    }

    private static boolean bare(String s) {
        if (s.isEmpty() || s.length() > MAX_SHOWN) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\') return false;
        }
        return true;
    }

    private static void escape(String s, StringBuilder b, boolean quoted, int maxShown) {
        int start = b.length();
        for (int i = 0; i < s.length(); i++) {
            if (b.length() - start >= maxShown) {
                b.append("...");
                return;
            }
            char c = s.charAt(i);
            if (c == '\\') b.append("\\\\");
            else if (c == '"' && quoted) b.append("\\\"");
            else if (c >= 0x20 && c < 0x7f) b.append(c);
            else if (c <= 0xff) b.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            else b.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** A line a backend sent (or its absence), for a log message. */
    public static String backendLine(String line) {
        return line == null ? "(connection closed)" : text(line);
    }

    /** Text from config or a router, made fit to stand inside one protocol reply line. */
    public static String oneLine(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }
}
