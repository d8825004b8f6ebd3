package mailproxy.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A line assembled for the trace keeps what a trace line shows, and still sees a literal at its end. */
class LineBufferTest {

    @Test
    void aLongLineKeepsWhatIsShownAndCountsTheRest() {
        LineBuffer b = new LineBuffer();
        int n = 1 << 20;
        for (int i = 0; i < n; i++) b.append('x');
        LineBuffer.Line l = b.take();
        assertEquals("x".repeat(Leg.MAX_SHOWN) + " [" + (n - Leg.MAX_SHOWN) + " more bytes]", l.text());
        assertEquals(-1, l.literal());
        assertTrue(b.isEmpty());
    }

    @Test
    void aLiteralAtTheEndOfALongLineIsSeen() {
        LineBuffer b = new LineBuffer();
        for (char c : ("a1 APPEND INBOX " + "(\\Seen) ".repeat(500) + "{42+}\r").toCharArray()) b.append(c);
        LineBuffer.Line l = b.take();
        assertEquals(42, l.literal());
        assertTrue(l.nonSync());
    }

    @Test
    void aShortLineLosesItsCr() {
        LineBuffer b = new LineBuffer();
        for (char c : "a1 LOGIN {5}\r".toCharArray()) b.append(c);
        LineBuffer.Line l = b.take();
        assertEquals("a1 LOGIN {5}", l.text());
        assertEquals(5, l.literal());
        assertFalse(l.nonSync());
    }
}
