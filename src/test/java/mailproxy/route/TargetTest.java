package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Where a backend connection goes: an IP literal made once, a host name looked up per connect. */
class TargetTest {
    @Test
    void anIpLiteralIsOneAddressMadeWithoutALookup() throws Exception {
        Target v4 = new Target("127.0.0.1", 1143, null);
        InetSocketAddress a = v4.address();
        assertSame(a, v4.address(), "made once, not per login");
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 1143), a);
        Target v6 = new Target("::1", 1143, null);
        assertSame(v6.address(), v6.address());
        assertEquals(InetAddress.getByName("::1"), v6.address().getAddress());
        assertEquals("[::1]:1143", v6.toString());
    }

    @Test
    void aHostNameIsLookedUpOnEveryConnectSoDnsChangesAreFollowed() {
        Target t = new Target("backend.invalid", 143, null);
        InetSocketAddress first = t.address();
        assertNotSame(first, t.address());
        assertTrue(first.isUnresolved(), "an unknown name stays unresolved: connect reports it");
        assertEquals("backend.invalid", first.getHostString());
        // digits and dots that are no dotted quad are a name too, never a guessed address
        assertTrue(new Target("999.1.1.1", 143, null).address().isUnresolved());
    }

    @Test
    void equalLikeARecord() {
        assertEquals(new Target("10.0.0.1", 143, null), new Target("10.0.0.1", 143, null));
        assertEquals(new Target("10.0.0.1", 143, null).hashCode(), new Target("10.0.0.1", 143, null).hashCode());
        assertNotEquals(new Target("10.0.0.1", 143, null), new Target("10.0.0.1", 993, null));
        assertFalse(new Target("10.0.0.1", 143, null).equals(null));
    }
}
