package mailproxy.route;

import mailproxy.wire.Addresses;

import java.net.InetAddress;

/**
 * Makes values safe for one HTTP header line of an auth_http request. Values are wire
 * bytes as ISO-8859-1 chars; the request is written byte for byte.
 */
final class HeaderEscaping {
    private HeaderEscaping() {}

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /**
     * User, password and certificate fields, the way nginx escapes them
     * (ngx_escape_uri with NGX_ESCAPE_MAIL_AUTH): space, '%' and the bytes 0x00-0x1F become
     * %XX, so no CR or LF can end the header early. We also escape DEL (0x7F), which is not
     * a field-vchar (RFC 9110 §5.5). Bytes 0x80-0xFF pass as they are, as nginx sends them
     * (obs-text, RFC 9110 §5.5): an auth server that unescapes gets the client's bytes back
     * either way, and one written for nginx sees the same header it always saw.
     */
    static String credential(String wire) {
        return escape(wire, true);
    }

    /**
     * Values nginx sends without escaping (the SMTP HELO/MAIL/RCPT lines, TLS protocol and
     * cipher): unchanged unless they hold a control byte, which becomes %XX. The SMTP front
     * end reads lines up to LF, so a bare CR or a NUL can still be inside one.
     */
    static String controls(String wire) {
        return escape(wire, false);
    }

    private static String escape(String s, boolean spaceAndPercent) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean esc = c < 0x20 || c == 0x7f || c > 0xff
                    || (spaceAndPercent && (c == ' ' || c == '%'));
            if (esc && b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
            if (b == null) continue;
            if (!esc) {
                b.append(c);
            } else if (c > 0xff) {
                b.append('?'); // not a wire byte; cannot come from a socket
            } else {
                b.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            }
        }
        return b == null ? s : b.toString();
    }

    /** RFC 9110 §5.1: field-name = token; tchar = "!" / "#" / ... / ALPHA / DIGIT. */
    static boolean isToken(String name) {
        if (name.isEmpty()) return false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) return false;
        }
        return true;
    }

    /** An address as nginx prints it in Client-IP (IPv6 in the RFC 5952 short form). */
    static String ip(InetAddress a) {
        return Addresses.ip(a);
    }
}
