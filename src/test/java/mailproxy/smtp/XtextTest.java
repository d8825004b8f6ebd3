package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import mailproxy.testing.Pairs;
import org.junit.jupiter.api.Test;

/** RFC 3461 §4 xtext, as XCLIENT values need it. */
class XtextTest {
    @Test
    void printableAsciiStaysExceptPlusAndEquals() {
        Pairs.assertMaps(Xtext::encode, "client.example", "client.example",
                "[UNAVAILABLE]", "[UNAVAILABLE]",
                "IPV6:2001:db8::1", "IPV6:2001:db8::1",
                "a+b=c", "a+2Bb+3Dc");
    }

    @Test
    void spaceControlsAndNonAsciiBecomeHex() {
        Pairs.assertMaps(Xtext::encode, "a b\r\n\0\u007f", "a+20b+0D+0A+00+7F",
                // UTF-8 "ö" is two bytes, carried as two ISO-8859-1 chars (wire.Connection)
                "w\u00c3\u00b6rd", "w+C3+B6rd");
    }

    @Test
    void decodeIsTheInverse() {
        String s = "odd name+=\u0001\u00ff!~";
        assertEquals(s, Xtext.decode(Xtext.encode(s)));
        assertEquals("a+", Xtext.decode("a+"));
    }
}
