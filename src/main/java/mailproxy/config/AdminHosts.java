package mailproxy.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import mailproxy.wire.Cidr;

/**
 * Host names and IP literals as admin.hosts and the admin listener's Host check compare
 * them: lower case, without the trailing dot of a fully qualified name, IPv6 without
 * brackets. Never asks DNS: the point of the Host check is that a name is not trusted for
 * what it resolves to (DNS rebinding, docs/SECURITY.md).
 */
public final class AdminHosts {
    private AdminHosts() {}

    /**
     * The compared form of a host (RFC 3986 §3.2.2 uri-host, without port), or null when it
     * is neither a DNS name (RFC 1123 §2.1 labels) nor an IP literal (written as InetAddress does).
     */
    public static String normalize(String host) {
        if (host == null) return null;
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
            return h.indexOf(':') >= 0 ? canonical(h) : null;
        }
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        if (h.isEmpty() || h.length() > 253) return null;
        if (h.indexOf(':') >= 0 || literal(h) != null) return canonical(h);
        for (String label : h.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) return null;
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) return null;
            }
        }
        return h;
    }

    /** An IP literal as InetAddress writes it, so that two spellings of one address compare equal. */
    private static String canonical(String literal) {
        InetAddress a = literal(literal);
        return a == null ? null : a.getHostAddress();
    }

    /** The address of an IP literal (no brackets), or null when {@code host} is not one; without DNS. */
    public static InetAddress literal(String host) {
        if (host == null || host.isEmpty() || host.indexOf('/') >= 0 || host.indexOf('%') >= 0) return null;
        try {
            Cidr.parse(host); // strict literal check: only then is getByName free of DNS
            return InetAddress.getByName(host);
        } catch (IllegalArgumentException | UnknownHostException e) {
            return null;
        }
    }

    /** The host part of a listen address as written ("name:9090", "[::1]:9090", "9090"); "" when it has none. */
    static String hostOf(String listen) {
        if (listen.startsWith("[")) {
            int close = listen.indexOf(']');
            return close < 0 ? "" : listen.substring(0, close + 1);
        }
        int colon = listen.lastIndexOf(':');
        return colon < 0 ? "" : listen.substring(0, colon);
    }
}
