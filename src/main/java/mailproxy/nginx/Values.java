package mailproxy.nginx;

import java.util.List;
import java.util.Locale;

/**
 * nginx value syntax (times, sizes, on/off) and its HOCON rendering. Times follow
 * ngx_parse_time: numbers with units ms s m h d w M y, several in a row ("1h30m"), a bare
 * number is seconds. Sizes follow ngx_parse_size: a number with k/K, m/M or g/G.
 */
final class Values {
    private Values() {}

    /** Milliseconds, or -1 when {@code text} is not an nginx time. */
    static long millis(String text) {
        String t = text.trim();
        if (t.isEmpty()) return -1;
        long total = 0;
        int i = 0;
        while (i < t.length()) {
            while (i < t.length() && t.charAt(i) == ' ') i++;
            int start = i;
            while (i < t.length() && Character.isDigit(t.charAt(i))) i++;
            if (i == start || i - start > 12) return -1;
            long n = Long.parseLong(t.substring(start, i));
            long unit;
            if (t.startsWith("ms", i)) {
                unit = 1;
                i += 2;
            } else if (i == t.length() || t.charAt(i) == ' ') {
                unit = 1000;
            } else {
                unit = switch (t.charAt(i)) {
                    case 's' -> 1000L;
                    case 'm' -> 60_000L;
                    case 'h' -> 3_600_000L;
                    case 'd' -> 86_400_000L;
                    case 'w' -> 7 * 86_400_000L;
                    case 'M' -> 30 * 86_400_000L;
                    case 'y' -> 365 * 86_400_000L;
                    default -> -1L;
                };
                if (unit < 0) return -1;
                i++;
            }
            total += n * unit;
        }
        return total;
    }

    /** Bytes, or -1 when {@code text} is not an nginx size. */
    static long bytes(String text) {
        String t = text.trim();
        if (t.isEmpty()) return -1;
        long unit = switch (t.charAt(t.length() - 1)) {
            case 'k', 'K' -> 1L << 10;
            case 'm', 'M' -> 1L << 20;
            case 'g', 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(Character::isDigit)) return -1;
        return Long.parseLong(digits) * unit;
    }

    /** HOCON duration in the largest unit that divides it: 60s, 24h, 1500ms. */
    static String duration(long millis) {
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1000L};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (millis != 0 && millis % units[i] == 0) return millis / units[i] + names[i];
        }
        return millis == 0 ? "0s" : millis + "ms";
    }

    /** HOCON size: 64k, 1m, or the plain number (HOCON's k and m are 1024 and 1024²). */
    static String size(long bytes) {
        if (bytes != 0 && bytes % (1 << 20) == 0) return bytes / (1 << 20) + "m";
        if (bytes != 0 && bytes % 1024 == 0) return bytes / 1024 + "k";
        return Long.toString(bytes);
    }

    /** A HOCON quoted string (JSON escaping). */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** A HOCON list of quoted strings. */
    static String quotedList(List<String> items) {
        StringBuilder b = new StringBuilder("[");
        for (String s : items) {
            if (b.length() > 1) b.append(", ");
            b.append(quote(s));
        }
        return b.append(']').toString();
    }

    /** A HOCON list of bare words (mechanism names, enum values). */
    static String wordList(List<String> items) {
        return "[" + String.join(", ", items) + "]";
    }
}
