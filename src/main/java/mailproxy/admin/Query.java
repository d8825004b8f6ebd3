package mailproxy.admin;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** An admin request's query string: name=value pairs, %-decoded. */
record Query(Map<String, String> values) {
    static Query parse(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                String v = eq < 0 ? "" : pair.substring(eq + 1);
                m.put(decode(k), decode(v));
            }
        }
        return new Query(m);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException naming the missing parameter */
    String required(String name) {
        String v = values.get(name);
        if (v == null || v.isBlank()) throw new IllegalArgumentException("missing parameter " + name);
        return v.trim();
    }

    String get(String name) { return values.get(name); }

    /** The longest kick-after taken: a grace of a day is already more than any client needs. */
    static final java.time.Duration MAX_GRACE = java.time.Duration.ofDays(1);

    /**
     * A duration such as 30s, 500ms, 5m, 1h or 0 (absent: 0), at most {@link #MAX_GRACE}.
     *
     * @throws IllegalArgumentException naming the parameter
     */
    java.time.Duration duration(String name) {
        String v = values.get(name);
        if (v == null || v.isBlank()) return java.time.Duration.ZERO;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h)?").matcher(v.trim());
        if (!m.matches()) throw new IllegalArgumentException(name + " must be a duration such as 30s, 500ms, 5m or 1h");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? (n == 0 ? "s" : "") : m.group(2);
        java.time.Duration d = switch (unit) {
            case "ms" -> java.time.Duration.ofMillis(n);
            case "s" -> java.time.Duration.ofSeconds(n);
            case "m" -> java.time.Duration.ofMinutes(n);
            case "h" -> java.time.Duration.ofHours(n);
            default -> throw new IllegalArgumentException(name + " needs a unit: ms, s, m or h");
        };
        if (d.compareTo(MAX_GRACE) > 0) throw new IllegalArgumentException(name + " may be at most 24h");
        return d;
    }

    /** A positive whole number, {@code otherwise} when absent. */
    int count(String name, int otherwise) {
        String v = values.get(name);
        if (v == null || v.isBlank()) return otherwise;
        try {
            int n = Integer.parseInt(v.trim());
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + " must be a positive whole number");
    }

    /** on=true (the default) or on=false. */
    boolean on() {
        String v = values.getOrDefault("on", "true");
        if (v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("on")) return true;
        if (v.equalsIgnoreCase("false") || v.equals("0") || v.equalsIgnoreCase("off")) return false;
        throw new IllegalArgumentException("on must be true or false, got '" + v + "'");
    }
}
