package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mailproxy.testing.Pairs;
import org.junit.jupiter.api.Test;

/** What a client-chosen value looks like on a log line: printable ASCII, quoted where a parser could be fooled. */
class LogSafeTest {

    @Test
    void plainValuesStayBare() {
        assertEquals("-", LogSafe.value(null));
        Pairs.assertMaps(LogSafe::value, "alice@example.org", "alice@example.org",
                "", "\"\"");
    }

    @Test
    void aSpaceAQuoteAnEqualsOrABackslashIsQuoted() {
        Pairs.assertMaps(LogSafe::value, "x outcome=LOGOUT", "\"x outcome=LOGOUT\"",
                "a=b", "\"a=b\"",
                "say \"hi\"", "\"say \\\"hi\\\"\"",
                "a\\b", "\"a\\\\b\"");
    }

    @Test
    void controlAndFormatCharactersAreEscaped() {
        // C0, DEL, C1 (NEL), a byte of UTF-8, and text that did not come from the wire:
        // U+2028 line separator, U+202E right-to-left override, U+2066 isolate, U+FEFF
        assertEquals("\"a\\x0d\\x0ab\\x7f\\x85\\xc3\"", LogSafe.value("a\r\nb\u007f\u0085\u00c3"));
        assertEquals("\"\\u2028\\u202e\\u2066\\ufeff\"", LogSafe.value("\u2028\u202e\u2066\ufeff"));
        assertEquals("a\\x85 b \\u202e\\\\", LogSafe.text("a\u0085 b \u202e\\"));
        assertEquals("\"\\xa0\"", LogSafe.value("\u00a0"), "a no-break space is not a bare value");
    }

    @Test
    void longValuesAreCutAndStayQuoted() {
        String v = LogSafe.value("x".repeat(1000));
        assertEquals("\"" + "x".repeat(LogSafe.MAX_SHOWN) + "...\"", v);
        String escaped = LogSafe.value("\u0085".repeat(1000));
        assertTrue(escaped.length() < LogSafe.MAX_SHOWN + 12, escaped);
        assertTrue(escaped.endsWith("\\x85...\""), "an escape is never cut in half: " + escaped);
        assertEquals("ab\\x85...", LogSafe.text("ab\u0085cdef", 6));
    }
}
