package mailproxy.wire;

/**
 * Strict IP address literals to bytes, without ever asking DNS (InetAddress.getByName would
 * resolve anything that is not a literal). IPv4: four decimal numbers 0..255 without
 * leading zeros (a leading zero reads as octal elsewhere; the PROXY protocol spec §2.1
 * forbids it). IPv6: RFC 4291 §2.2 text, at most one "::", an optional dotted IPv4 tail.
 */
final class IpText {
    private IpText() {}

    /** 4 bytes, or null when {@code s} is not a strict dotted quad. */
    static byte[] v4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int i = 0;
        while (part < 4) {
            int start = i;
            int value = 0;
            while (i < s.length() && i - start < 4 && Character.isDigit(s.charAt(i)) && s.charAt(i) < 0x80) {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s.charAt(start) == '0')) return null;
            out[part++] = (byte) value;
            if (part < 4) {
                if (i >= s.length() || s.charAt(i) != '.') return null;
                i++;
            }
        }
        return i == s.length() ? out : null;
    }

    /** 16 bytes, or null when {@code s} is not an IPv6 literal (no brackets, no zone id). */
    static byte[] v6(String s) {
        if (s.isEmpty() || s.length() > 45) return null;
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) return null;
        byte[] out = new byte[16];
        if (gap < 0) return groups(s, out, 0, 16, true) == 16 ? out : null;
        byte[] tail = new byte[16];
        String left = s.substring(0, gap);
        String right = s.substring(gap + 2);
        int head = left.isEmpty() ? 0 : groups(left, out, 0, 14, false);
        if (head < 0) return null;
        int back = right.isEmpty() ? 0 : groups(right, tail, 0, 14 - head, true);
        if (back < 0 || head + back > 14) return null; // "::" stands for at least one group
        System.arraycopy(tail, 0, out, 16 - back, back);
        return out;
    }

    /**
     * Colon-separated hex groups (and, if {@code dottedTail}, a final dotted quad) into
     * {@code out} from {@code at}; returns the byte count or -1.
     */
    private static int groups(String s, byte[] out, int at, int max, boolean dottedTail) {
        String[] parts = s.split(":", -1);
        int n = at;
        for (int p = 0; p < parts.length; p++) {
            String g = parts[p];
            if (dottedTail && p == parts.length - 1 && g.indexOf('.') >= 0) {
                byte[] v4 = v4(g);
                if (v4 == null || n + 4 > max) return -1;
                System.arraycopy(v4, 0, out, n, 4);
                n += 4;
                continue;
            }
            if (g.isEmpty() || g.length() > 4 || n + 2 > max) return -1;
            int v = 0;
            for (int i = 0; i < g.length(); i++) {
                int d = Character.digit(g.charAt(i), 16);
                if (d < 0 || g.charAt(i) >= 0x80) return -1;
                v = v * 16 + d;
            }
            out[n++] = (byte) (v >> 8);
            out[n++] = (byte) v;
        }
        return n - at;
    }
}
