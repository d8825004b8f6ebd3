package mailproxy.smtp;

/**
 * xtext, RFC 3461 §4, the encoding of XCLIENT attribute values (Postfix XCLIENT_README):
 * <pre>
 *   xtext = *( xchar / hexchar )
 *   xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive,
 *           except for "+" and "=".
 *   hexchar = ASCII "+" immediately followed by two upper case hexadecimal digits
 * </pre>
 * Input is wire bytes as ISO-8859-1 chars (see wire.Connection), so a UTF-8 HELO name
 * becomes one {@code +XX} per byte.
 */
final class Xtext {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Xtext() {}

    static String encode(String wire) {
        StringBuilder b = new StringBuilder(wire.length() + 8);
        for (int i = 0; i < wire.length(); i++) {
            int c = wire.charAt(i) & 0xff;
            if (c >= 33 && c <= 126 && c != '+' && c != '=') {
                b.append((char) c);
            } else {
                b.append('+').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return b.toString();
    }

    /** The inverse, for tests and fake backends; a malformed "+" is kept as it is. */
    static String decode(String xtext) {
        StringBuilder b = new StringBuilder(xtext.length());
        for (int i = 0; i < xtext.length(); i++) {
            char c = xtext.charAt(i);
            if (c == '+' && i + 2 < xtext.length()) {
                int hi = Character.digit(xtext.charAt(i + 1), 16);
                int lo = Character.digit(xtext.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    b.append((char) (hi << 4 | lo));
                    i += 2;
                    continue;
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
