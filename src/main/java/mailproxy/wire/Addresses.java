package mailproxy.wire;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Addresses as text, one way everywhere: logs, XCLIENT, IMAP ID, auth_http's Client-IP. */
public final class Addresses {
    private Addresses() {}

    /**
     * Dotted IPv4, or IPv6 in the RFC 5952 short form ("::1", not Java's
     * "0:0:0:0:0:0:0:1"), without a scope id.
     */
    public static String ip(InetAddress a) {
        if (!(a instanceof Inet6Address)) return a.getHostAddress();
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        // RFC 5952 §4.2: the longest run of two or more zero groups (the first on a tie) becomes "::"
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder s = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!s.isEmpty() && s.charAt(s.length() - 1) != ':') s.append(':');
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }

    /**
     * The address an IP literal names (a strict dotted quad, or IPv6 without brackets or
     * zone id), made without a lookup; null for anything else (a host name).
     */
    public static InetAddress literal(String host) {
        byte[] b = IpText.v4(host);
        if (b == null) b = IpText.v6(host);
        if (b == null) return null;
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            return null; // not for 4 or 16 bytes
        }
    }

    /** "192.0.2.1:143" or "[2001:db8::1]:143"; "-" for null. */
    public static String hostPort(InetSocketAddress a) {
        if (a == null) return "-";
        String host = a.getAddress() == null ? a.getHostString() : ip(a.getAddress());
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
