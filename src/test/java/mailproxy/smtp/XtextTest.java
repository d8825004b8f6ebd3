package mailproxy.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** RFC 3461 §4 xtext, as XCLIENT values need it. */
class XtextTest {
    @Test
    void printableAsciiStaysExceptPlusAndEquals() {
        assertEquals("client.example", Xtext.encode("client.example"));
        assertEquals("[UNAVAILABLE]", Xtext.encode("[UNAVAILABLE]"));
        assertEquals("IPV6:2001:db8::1", Xtext.encode("IPV6:2001:db8::1"));
        assertEquals("a+2Bb+3Dc", Xtext.encode("a+b=c"));
    }

    @Test
    void spaceControlsAndNonAsciiBecomeHex() {
        assertEquals("a+20b+0D+0A+00+7F", Xtext.encode("a b\r\n\0\u007f"));
        // UTF-8 "ö" is two bytes, carried as two ISO-8859-1 chars (wire.Connection)
        assertEquals("w+C3+B6rd", Xtext.encode("w\u00c3\u00b6rd"));
    }

    @Test
    void decodeIsTheInverse() {
        String s = "odd name+=\u0001\u00ff!~";
        assertEquals(s, Xtext.decode(Xtext.encode(s)));
        assertEquals("a+", Xtext.decode("a+"));
    }
}
