package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * The moves channel's message (README, "Several proxies"): any user name goes through
 * whole, and anything else on the channel is ignored rather than thrown at the subscriber.
 */
class MoveMessageTest {
    @Test
    void aUserNameWithSeparatorsLineEndsAndDigitsComesThroughWhole() {
        for (String user : new String[] {"b:c", "3:abc", "cr\r\nlf", "nul\0", "*?[", "", "ü:ß"}) {
            String m = MoveMessage.encode("id1", "a:b", user, "s1:143", null);
            assertEquals(new MoveMessage("id1", "a:b", user, "s1:143", null), MoveMessage.decode(m), m);
        }
    }

    @Test
    void anythingElseIsNull() {
        for (String m : new String[] {"", "x", "3:abc", "2147483647:x", "-1:", "1:a1:b1:c1:d1:e1:f", "1:a1:b1:c1:d9:e"}) {
            assertNull(MoveMessage.decode(m), m);
        }
    }
}
