package mailproxy.admin;

import java.time.Instant;

/**
 * A small JSON writer for the admin's /status (RFC 8259): objects and arrays written in
 * order, every string escaped (§7), so that a user name or a reason from a backend is
 * data to the page and never breaks the document.
 */
final class Json {
    private final StringBuilder b = new StringBuilder(4096);
    /** Whether the next value in the current object or array needs a comma before it. */
    private boolean comma;

    Json open() { return value("{", true); }

    Json close() { b.append('}'); comma = true; return this; }

    Json openArray() { return value("[", true); }

    Json closeArray() { b.append(']'); comma = true; return this; }

    /** A member's name; its value follows. */
    Json name(String name) {
        if (comma) b.append(',');
        string(name);
        b.append(':');
        comma = false;
        return this;
    }

    Json value(String s) {
        if (comma) b.append(',');
        if (s == null) b.append("null");
        else string(s);
        comma = true;
        return this;
    }

    Json value(long n) { return value(Long.toString(n), false); }

    Json value(boolean v) { return value(Boolean.toString(v), false); }

    /** An instant as RFC 3339 text (ISO 8601, UTC), or null. */
    Json value(Instant t) { return value(t == null ? null : t.toString()); }

    Json member(String name, String v) { return name(name).value(v); }

    Json member(String name, long v) { return name(name).value(v); }

    Json member(String name, boolean v) { return name(name).value(v); }

    Json member(String name, Instant v) { return name(name).value(v); }

    private Json value(String raw, boolean opens) {
        if (comma) b.append(',');
        b.append(raw);
        comma = !opens;
        return this;
    }

    /** RFC 8259 §7: quote, backslash and control characters escaped; also <, > and & so no text ever reads as markup. */
    private void string(String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    @Override
    public String toString() { return b.toString(); }
}
