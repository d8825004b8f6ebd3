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

    /** on=true (the default) or on=false. */
    boolean on() {
        String v = values.getOrDefault("on", "true");
        if (v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("on")) return true;
        if (v.equalsIgnoreCase("false") || v.equals("0") || v.equalsIgnoreCase("off")) return false;
        throw new IllegalArgumentException("on must be true or false, got '" + v + "'");
    }
}
