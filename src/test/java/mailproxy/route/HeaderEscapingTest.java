package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderEscapingTest {

    private static String wire(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    void credentialEscapesSpacePercentAndControlBytesLikeNginx() {
        assertEquals("a%20b%25c%0D%0Ad%00e%09f%7Fg", HeaderEscaping.credential("a b%c\r\nd\0e\tf\u007fg"));
    }

    @Test
    void credentialPassesNonAsciiBytesAsNginxDoes() {
        String user = wire("jörg@exämple");
        assertEquals(user, HeaderEscaping.credential(user));
    }

    @Test
    void plainValuesAreReturnedAsTheyAre() {
        String s = "bob@example.test";
        assertSame(s, HeaderEscaping.credential(s));
        assertSame(s, HeaderEscaping.controls(s));
    }

    @Test
    void controlsKeepsSpaceAndPercentButNotControlBytes() {
        assertEquals("MAIL FROM:<a%b@x> SIZE=10%0Dx", HeaderEscaping.controls("MAIL FROM:<a%b@x> SIZE=10\rx"));
    }

    @Test
    void tokens() {
        assertTrue(HeaderEscaping.isToken("X-Auth-Key"));
        assertFalse(HeaderEscaping.isToken("X Auth"));
        assertFalse(HeaderEscaping.isToken(""));
        assertFalse(HeaderEscaping.isToken("X:Y"));
    }

    @Test
    void addressesAsNginxPrintsThem() throws Exception {
        assertEquals("192.0.2.7", HeaderEscaping.ip(InetAddress.getByName("192.0.2.7")));
        assertEquals("::1", HeaderEscaping.ip(InetAddress.getByName("::1")));
        assertEquals("2001:db8::1", HeaderEscaping.ip(InetAddress.getByName("2001:db8:0:0:0:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", HeaderEscaping.ip(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("2001:0:0:1::1", HeaderEscaping.ip(InetAddress.getByName("2001:0:0:1:0:0:0:1")));
        assertEquals("::", HeaderEscaping.ip(InetAddress.getByName("::")));
        assertEquals("fe80::1", HeaderEscaping.ip(InetAddress.getByName("fe80::1%1")));
    }
}
