package mailproxy.wire;

/** Makes client-supplied text safe for one log line: no control bytes, bounded length. */
public final class LogSafe {
    private LogSafe() {}

    public static String text(String s) {
        if (s == null) return "-";
        StringBuilder b = new StringBuilder(Math.min(s.length(), 128));
        for (int i = 0; i < s.length() && b.length() < 128; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    /** A line a backend sent (or its absence), for a log message. */
    public static String backendLine(String line) {
        return line == null ? "(connection closed)" : text(line);
    }

    /** Text from config or a router, made fit to stand inside one protocol reply line. */
    public static String oneLine(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }
}
