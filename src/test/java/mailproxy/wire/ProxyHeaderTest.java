package mailproxy.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import mailproxy.wire.ProxyHeader.Command;
import mailproxy.wire.ProxyHeader.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** PROXY protocol v1 and v2 (HAProxy's proxy-protocol.txt), byte-exact, read from streams. */
class ProxyHeaderTest {
    private static final byte[] CLIENT_HELLO = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
    private static final String SIG = "0d0a0d0a000d0a515549540a";
    private static final HexFormat HEX = HexFormat.of();

    private static InetSocketAddress at(String ip, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    /** Reads a header from {@code header} + a ClientHello, and checks the ClientHello is all still there. */
    private static ProxyHeader readBeforeHello(byte[] header) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(header);
        all.writeBytes(CLIENT_HELLO);
        ByteArrayInputStream in = new ByteArrayInputStream(all.toByteArray());
        ProxyHeader h = new ProxyHeaderReader(in, null, Duration.ofSeconds(5)).read();
        assertArrayEquals(CLIENT_HELLO, in.readAllBytes(), "bytes after the header are left unread");
        return h;
    }

    private static ProxyHeader read(byte[] bytes) throws IOException {
        return new ProxyHeaderReader(new ByteArrayInputStream(bytes), null, Duration.ofSeconds(5)).read();
    }

    private static String failure(byte[] bytes) {
        return assertThrows(ProxyHeaderException.class, () -> read(bytes)).getMessage();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@code header} after checking that it reads back as PROXY over {@code transport} from src to dst. */
    private static byte[] readsBack(byte[] header, Transport transport, InetSocketAddress src, InetSocketAddress dst)
            throws IOException {
        assertEquals(new ProxyHeader(Command.PROXY, transport, src, dst), readBeforeHello(header));
        return header;
    }

    // ------------------------------------------------------------------ v1

    @Test
    void v1Tcp4IsByteExactAndRoundTrips() throws IOException {
        InetSocketAddress src = at("192.168.0.1", 56324);
        InetSocketAddress dst = at("192.168.0.11", 443);
        byte[] line = readsBack(ProxyHeaderWriter.v1(src, dst), Transport.TCP4, src, dst);
        assertEquals("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", new String(line, StandardCharsets.US_ASCII));
    }

    @Test
    void v1Tcp6IsByteExactAndRoundTrips() throws IOException {
        InetSocketAddress src = at("2001:db8::1", 65535);
        InetSocketAddress dst = at("2001:db8:0:0:1::2", 0);
        byte[] line = ProxyHeaderWriter.v1(src, dst);
        assertEquals("PROXY TCP6 2001:db8::1 2001:db8::1:0:0:2 65535 0\r\n", new String(line, StandardCharsets.US_ASCII));
        ProxyHeader h = readBeforeHello(line);
        assertEquals(new ProxyHeader(Command.PROXY, Transport.TCP6, src, dst), h);
        assertTrue(h.hasAddresses());
    }

    @Test
    void v1MixedFamiliesUseIpv4MappedIpv6() throws IOException {
        InetSocketAddress src = at("10.1.2.3", 1000);
        InetSocketAddress dst = at("::1", 143);
        assertEquals("PROXY TCP6 ::ffff:a01:203 ::1 1000 143\r\n", new String(ProxyHeaderWriter.v1(src, dst), StandardCharsets.US_ASCII));
        ProxyHeader h = read(ProxyHeaderWriter.v1(src, dst));
        assertEquals(Transport.TCP6, h.transport());
        assertEquals(src, h.source(), "a mapped address reads back as the IPv4 address it maps");
        assertEquals(dst, h.destination());
    }

    @ParameterizedTest
    @ValueSource(strings = {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:f::f ffff:f::f 65535 65535\r\n", "PROXY UNKNOWN whatever\r\n"})
    void v1UnknownIgnoresTheRestOfTheLine(String line) throws IOException {
        ProxyHeader h = readBeforeHello(ascii(line));
        assertEquals(new ProxyHeader(Command.PROXY, Transport.UNKNOWN, null, null), h);
        assertTrue(!h.hasAddresses());
    }

    @Test
    void v1LongestLineIsAccepted() throws IOException {
        String g = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        String line = "PROXY UNKNOWN " + g + " " + g + " 65535 65535\r\n";
        assertEquals(107, line.length());
        assertEquals(Transport.UNKNOWN, readBeforeHello(ascii(line)).transport());
        String tcp6 = "PROXY TCP6 " + g + " " + g + " 65535 65535\r\n";
        assertEquals(Transport.TCP6, readBeforeHello(ascii(tcp6)).transport());
    }

    @Test
    void v1WithoutCrlfWithin107BytesIsRefusedWithoutReadingFurther() {
        byte[] bytes = ascii("PROXY UNKNOWN " + "x".repeat(200) + "\r\n");
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        String m = assertThrows(ProxyHeaderException.class, () -> new ProxyHeaderReader(in, null, Duration.ofSeconds(5)).read()).getMessage();
        assertTrue(m.startsWith("no CRLF within 107 bytes"), m);
        assertEquals(bytes.length - 107, in.available(), "not one byte past the 107 read");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            PROXY TCP4 1.2.3.4 5.6.7.8 1 2\\n                      | bare LF
            PROXY TCP4 1.2.3.4 5.6.7.8 1 2\\rX                     | bare CR
            PROXX TCP4 1.2.3.4 5.6.7.8 1 2\\r\\n                   | not a PROXY v1 line
            PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\\r\\n                  | malformed
            PROXY TCP4 1.2.3.4  5.6.7.8 1 2\\r\\n                  | malformed
            PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \\r\\n                  | malformed
            PROXY TCP4 1.2.3.4 5.6.7.8 1\\r\\n                     | malformed
            PROXY\\r\\n                                            | not a PROXY v1 line
            PROXY TCP5 1.2.3.4 5.6.7.8 1 2\\r\\n                   | unknown PROXY v1 protocol
            PROXY tcp4 1.2.3.4 5.6.7.8 1 2\\r\\n                   | unknown PROXY v1 protocol
            PROXY TCP4 1.2.3.256 5.6.7.8 1 2\\r\\n                 | bad TCP4 address
            PROXY TCP4 01.2.3.4 5.6.7.8 1 2\\r\\n                  | bad TCP4 address
            PROXY TCP4 1.2.3 5.6.7.8 1 2\\r\\n                     | bad TCP4 address
            PROXY TCP4 ::1 5.6.7.8 1 2\\r\\n                       | bad TCP4 address
            PROXY TCP4 localhost 5.6.7.8 1 2\\r\\n                 | bad TCP4 address
            PROXY TCP6 1.2.3.4 ::1 1 2\\r\\n                       | bad TCP6 address
            PROXY TCP6 ::1::2 ::1 1 2\\r\\n                        | bad TCP6 address
            PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\\r\\n             | bad TCP6 address
            PROXY TCP6 fe80::1%eth0 ::1 1 2\\r\\n                  | bad TCP6 address
            PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\\r\\n               | bad port
            PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\\r\\n                  | bad port
            PROXY TCP4 1.2.3.4 5.6.7.8 080 2\\r\\n                 | bad port
            PROXY TCP4 1.2.3.4 5.6.7.8 1 +2\\r\\n                  | bad port
            PROXY TCP4 1.2.3.4 5.6.7.8 1 \\r\\n                    | bad port
            PROXY TCP4 1.2.3.4 5.6.7.8\\r\\n                       | malformed
            PROXY TCP4 1.2.3.4                                    | connection closed inside the PROXY header
            ''                                                    | connection closed before the PROXY header
            EHLO client.example\\r\\n                              | no PROXY header: first byte 0x45
            """)
    void v1GarbageIsRefusedWithAReason(String text, String reason) {
        byte[] bytes = ascii(text.replace("\\r", "\r").replace("\\n", "\n"));
        String m = failure(bytes);
        assertTrue(m.startsWith(reason) || m.contains(reason), m);
        assertTrue(m.chars().noneMatch(c -> c < 0x20), "log-safe: " + m);
    }

    // ------------------------------------------------------------------ v2

    @Test
    void v2Tcp4IsByteExactAndRoundTrips() throws IOException {
        InetSocketAddress src = at("192.168.0.1", 56324);
        InetSocketAddress dst = at("192.168.0.11", 443);
        byte[] h = readsBack(ProxyHeaderWriter.v2(src, dst), Transport.TCP4, src, dst);
        assertEquals(SIG + "21" + "11" + "000c" + "c0a80001" + "c0a8000b" + "dc04" + "01bb", HEX.formatHex(h));
    }

    @Test
    void v2Tcp6IsByteExactAndRoundTrips() throws IOException {
        InetSocketAddress src = at("2001:db8::1", 1);
        InetSocketAddress dst = at("::1", 993);
        byte[] h = readsBack(ProxyHeaderWriter.v2(src, dst), Transport.TCP6, src, dst);
        assertEquals(SIG + "21" + "21" + "0024" + "20010db8000000000000000000000001" + "00000000000000000000000000000001"
                + "0001" + "03e1", HEX.formatHex(h));
    }

    @Test
    void v2MixedFamiliesUseIpv4MappedIpv6() throws IOException {
        byte[] h = ProxyHeaderWriter.v2(at("::1", 1), at("10.0.0.1", 2));
        assertEquals(SIG + "2121" + "0024" + "00000000000000000000000000000001" + "00000000000000000000ffff0a000001"
                + "0001" + "0002", HEX.formatHex(h));
    }

    @Test
    void v2LocalIsByteExactAndCarriesNoAddresses() throws IOException {
        assertEquals(SIG + "20" + "00" + "0000", HEX.formatHex(ProxyHeaderWriter.v2Local()));
        assertEquals(new ProxyHeader(Command.LOCAL, Transport.UNKNOWN, null, null), readBeforeHello(ProxyHeaderWriter.v2Local()));
    }

    @Test
    void v2LocalWithAnAddressBlockSkipsIt() throws IOException {
        // §2.2: receivers "must not assume zero is presented for LOCAL connections"
        byte[] h = HEX.parseHex(SIG + "2011000c" + "7f000001" + "7f000001" + "00010002");
        assertEquals(Command.LOCAL, readBeforeHello(h).command());
    }

    @Test
    void v2UnspecIsAcceptedWithoutAddresses() throws IOException {
        byte[] h = HEX.parseHex(SIG + "2100" + "0004" + "01020304");
        assertEquals(new ProxyHeader(Command.PROXY, Transport.UNKNOWN, null, null), readBeforeHello(h));
    }

    @ParameterizedTest
    @CsvSource({"12, 000c, 010203040506070800010002", "22, 0024, ", "31, 00d8, ", "32, 00d8, "})
    void v2UdpAndUnixAreAcceptedAsUnknown(String family, String length, String body) throws IOException {
        int zeros = Integer.parseInt(length, 16); // an all-zero address block of the length given
        String b = body == null ? "00".repeat(zeros) : body;
        byte[] h = HEX.parseHex(SIG + "21" + family + length + b);
        assertEquals(new ProxyHeader(Command.PROXY, Transport.UNKNOWN, null, null), readBeforeHello(h));
    }

    @Test
    void v2TlvsAreSkippedAndWhatFollowsIsUnread() throws IOException {
        String tlvs = "02" + "000b" + HEX.formatHex(ascii("example.org")) // PP2_TYPE_AUTHORITY
                + "04" + "0000" // PP2_TYPE_NOOP, empty
                + "20" + "0005" + "0100000000"; // PP2_TYPE_SSL: client = SSL, verify = 0
        int length = 12 + tlvs.length() / 2;
        byte[] h = HEX.parseHex(SIG + "2111" + String.format("%04x", length) + "0a000001" + "0a000002" + "04d2" + "0019" + tlvs);
        ProxyHeader p = readBeforeHello(h);
        assertEquals(at("10.0.0.1", 1234), p.source());
        assertEquals(at("10.0.0.2", 25), p.destination());
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', textBlock = """
            0d0a0d0a000d0a515549540b21110000                          | no PROXY header: wrong v2 signature
            0d0a0d0a000d0a515549540a1111000c0a0000010a00000204d20019  | unsupported PROXY version byte 0x11
            0d0a0d0a000d0a515549540a2211000c0a0000010a00000204d20019  | unknown PROXY v2 command byte 0x22
            0d0a0d0a000d0a515549540a2113000c0a0000010a00000204d20019  | unknown PROXY v2 family/protocol byte 0x13
            0d0a0d0a000d0a515549540a2141000c0a0000010a00000204d20019  | unknown PROXY v2 family/protocol byte 0x41
            0d0a0d0a000d0a515549540a2111000b0a0000010a00000204d200    | too short for family 0x11 (needs 12)
            0d0a0d0a000d0a515549540a2121000c0a0000010a00000204d20019  | too short for family 0x21 (needs 36)
            0d0a0d0a000d0a515549540a2111000c0a0000010a000002          | connection closed inside the PROXY header after 24 bytes
            0d0a0d0a000d0a515549540a2111                              | connection closed inside the PROXY header after 14 bytes
            0d0a0d0a000d0a515549540a2111000e0a0000010a00000204d200190200 | PROXY v2 TLV cut short
            0d0a0d0a000d0a515549540a2111000f0a0000010a00000204d20019020001 | PROXY v2 TLV overruns the header
            0d0a0d0a000d0a515549540a211100150a0000010a00000204d20019040000020005616263 | PROXY v2 TLV overruns the header
            0d0a                                                      | connection closed inside the PROXY header after 2 bytes
            160301                                                    | no PROXY header: first byte 0x16
            """)
    void v2GarbageIsRefusedWithAReason(String hex, String reason) {
        String m = failure(HEX.parseHex(hex));
        assertTrue(m.contains(reason), m);
    }

    @Test
    void writersRefuseUnresolvedAddresses() {
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("mail.example", 25);
        assertThrows(IllegalArgumentException.class, () -> ProxyHeaderWriter.v1(unresolved, unresolved));
        assertThrows(IllegalArgumentException.class, () -> ProxyHeaderWriter.v2(null, unresolved));
    }

    @Test
    void headerWithoutAddresses() {
        ProxyHeader h = new ProxyHeader(Command.LOCAL, Transport.UNKNOWN, null, null);
        assertNull(h.source());
        assertTrue(!h.hasAddresses());
    }
}
