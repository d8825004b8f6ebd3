package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Address ranges for trusted-proxies: strict parsing, containment, IPv4-mapped clients. */
class CidrTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s); // literals only: no DNS
    }

    @ParameterizedTest(name = "{0} holds {1}: {2}")
    @CsvSource({
        "10.0.0.0/8,      10.255.1.2,        true",
        "10.0.0.0/8,      11.0.0.1,          false",
        "127.0.0.1,       127.0.0.1,         true",
        "127.0.0.1,       127.0.0.2,         false",
        "192.168.4.0/22,  192.168.7.255,     true",
        "192.168.4.0/22,  192.168.8.0,       false",
        "0.0.0.0/0,       203.0.113.9,       true",
        "0.0.0.0/0,       ::1,               false",
        "::1/128,         ::1,               true",
        "::1,             ::2,               false",
        "2001:db8::/32,   2001:db8:ffff::1,  true",
        "2001:db8::/32,   2001:db9::1,       false",
        "::/0,            2001:db8::1,       true",
        "::/0,            10.0.0.1,          false",
        "fe80::/10,       febf::1,           true",
        "fe80::/10,       fec0::1,           false",
        "10.0.0.0/8,      2001:db8::a00:1,   false",
        "::ffff:10.0.0.0/104, 10.1.2.3,      true",
    })
    void contains(String range, String address, boolean expected) throws Exception {
        assertEquals(expected, Cidr.parse(range).contains(ip(address)));
    }

    @Test
    void ipv4MappedIpv6ClientMatchesIpv4Ranges() throws Exception {
        // what a dual-stack socket may report for an IPv4 peer
        byte[] mapped = HexFormat.of().parseHex("00000000000000000000ffff0a010203");
        InetAddress client = Inet6Address.getByAddress(null, mapped, -1);
        assertTrue(Cidr.parse("10.0.0.0/8").contains(client));
        assertFalse(Cidr.parse("192.168.0.0/16").contains(client));
        assertFalse(Cidr.parse("10.0.0.0/8").contains(null));
    }

    @ParameterizedTest
    @CsvSource({"10.0.0.0/8, 10.0.0.0/8", "127.0.0.1, 127.0.0.1/32", "::1, ::1/128", "2001:DB8::/32, 2001:db8::/32",
        "' 192.168.0.0/16 ', 192.168.0.0/16", "::ffff:10.0.0.0/104, 10.0.0.0/8"})
    void normalForm(String text, String expected) {
        assertEquals(expected, Cidr.parse(text).toString());
        assertEquals(Cidr.parse(expected), Cidr.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0/8", "010.0.0.0/8",
        "::1/129", "localhost", "example.org/24", "10.0.0.0 /8", "2001:db8::g/32", "1:2:3:4:5:6:7:8:9/64", "fe80::1%eth0",
        "[::1]/128", "10.0.0.0/08", "10.0.0.0/x"})
    void badTextIsRefusedWithAMessage(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
        assertTrue(e.getMessage().startsWith("expected"), e.getMessage());
    }

    @Test
    void hostBitsBeyondThePrefixAreRefusedNamingTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.1.2.3/8"));
        assertEquals("'10.1.2.3/8' has bits set beyond the /8 prefix; the range is 10.0.0.0/8", e.getMessage());
    }

    @Test
    void setHoldsAnAddressWhenAnyRangeDoes() throws Exception {
        CidrSet set = CidrSet.parse(List.of("10.0.0.0/8", "::1"));
        assertTrue(set.contains(ip("10.9.9.9")));
        assertTrue(set.contains(ip("::1")));
        assertFalse(set.contains(ip("127.0.0.1")));
        assertTrue(CidrSet.EMPTY.isEmpty());
        assertFalse(CidrSet.EMPTY.contains(ip("127.0.0.1")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CidrSet.parse(List.of("10.0.0.0/8", "nope")));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    }
}
