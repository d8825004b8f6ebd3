package mailproxy.imap;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The client's own ID fields (RFC 2971: name, version, os, vendor, ...), kept from its ID
 * before login and passed on in the proxy's ID to the backend, behind the proxy's
 * x-originating-* fields. Within RFC 2971 §3.3's bounds, and safe:
 * <ul>
 * <li>no field starting with "x-": those are the proxy's to set (x-originating-ip is what
 *     Dovecot believes from a trusted proxy), a client must not spoof them;
 * <li>printable ASCII only (every byte 0x20-0x7e), so each goes as a quoted string to any
 *     IMAP4rev1 server; a pair with anything else is dropped, not altered;
 * <li>a field at most 30 octets, a value at most 1024, each field once, and no more pairs
 *     than 30 minus the proxy's own.
 * </ul>
 */
final class ClientId {
    /** RFC 2971 §3.3: "Field strings MUST NOT be longer than 30 octets." */
    static final int MAX_FIELD = 30;
    /** RFC 2971 §3.3: "Value strings MUST NOT be longer than 1024 octets." */
    static final int MAX_VALUE = 1024;
    /** RFC 2971 §3.3: "Implementations MUST NOT send more than 30 field-value pairs." */
    static final int MAX_PAIRS = 30;
    /** The proxy's own pairs: x-originating-ip/-port, x-connected-ip/-port, x-session-id. */
    static final int OWN_PAIRS = 5;

    private ClientId() {}

    /**
     * field, value, field, value... from the client's ID parameters (a NIL value is null),
     * filtered as above; empty for ID NIL.
     */
    static List<String> filter(List<String> params) {
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i + 1 < params.size() && out.size() / 2 < MAX_PAIRS - OWN_PAIRS; i += 2) {
            String field = params.get(i);
            String value = params.get(i + 1);
            String key = field.toLowerCase(Locale.ROOT);
            if (field.isEmpty() || field.length() > MAX_FIELD || key.startsWith("x-") || !printable(field)) continue;
            if (value != null && (value.length() > MAX_VALUE || !printable(value))) continue;
            if (!seen.add(key)) continue;
            out.add(field);
            out.add(value);
        }
        return java.util.Collections.unmodifiableList(out); // NIL values are nulls: no List.copyOf
    }

    /** The pairs as ID parameters: SP "field" SP ("value" / NIL) each, quoted (RFC 9051 §4.3). */
    static String params(List<String> pairs) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            b.append(' ').append(ImapBackendLogin.quote(pairs.get(i))).append(' ')
                    .append(pairs.get(i + 1) == null ? "NIL" : ImapBackendLogin.quote(pairs.get(i + 1)));
        }
        return b.toString();
    }

    /** The pairs as field=value for a log line, both client-chosen: each through LogSafe.value. */
    static String forLog(List<String> pairs) {
        if (pairs == null) return "NIL";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i + 1 < pairs.size() && i < 2 * 30; i += 2) {
            if (i > 0) b.append(' ');
            b.append(mailproxy.wire.LogSafe.value(pairs.get(i))).append('=').append(mailproxy.wire.LogSafe.value(pairs.get(i + 1)));
        }
        return b.toString();
    }

    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) return false;
        }
        return true;
    }
}
