package mailproxy.wire;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * PROXY protocol headers (HAProxy's proxy-protocol.txt) to send first on a connection to a
 * backend that expects one (Dovecot haproxy_trusted_networks, Postfix
 * smtpd_upstream_proxy_protocol = haproxy).
 *
 * <p>Mixed families (an IPv4 client reaching an IPv6 listener address, or the reverse):
 * the IPv4 address is sent as its IPv4-mapped IPv6 form (::ffff:a.b.c.d, RFC 4291
 * §2.5.5.2) under TCP6, in both versions, rather than v1's UNKNOWN: the backend still
 * learns the client's address, and §2.1 advises against UNKNOWN on connections that are
 * meant to be accepted.
 */
public final class ProxyHeaderWriter {
    private ProxyHeaderWriter() {}

    /** "PROXY TCP4|TCP6 src dst sport dport\r\n" (§2.1); IPv6 in RFC 5952 text. */
    public static byte[] v1(InetSocketAddress source, InetSocketAddress destination) {
        byte[][] ip = addresses(source, destination);
        String family = ip[0].length == 4 ? "TCP4" : "TCP6";
        String line = "PROXY " + family + " " + text(ip[0]) + " " + text(ip[1]) + " "
                + source.getPort() + " " + destination.getPort() + "\r\n";
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** Signature, 0x21 (v2, PROXY), 0x11 (TCP4) or 0x21 (TCP6), length, addresses, ports (§2.2). */
    public static byte[] v2(InetSocketAddress source, InetSocketAddress destination) {
        byte[][] ip = addresses(source, destination);
        boolean v4 = ip[0].length == 4;
        int length = 2 * ip[0].length + 4;
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + length);
        out.writeBytes(ProxyHeaderReader.V2_SIGNATURE);
        out.write(0x21);
        out.write(v4 ? 0x11 : 0x21);
        u16(out, length);
        out.writeBytes(ip[0]);
        out.writeBytes(ip[1]);
        u16(out, source.getPort());
        u16(out, destination.getPort());
        return out.toByteArray();
    }

    /** Signature, 0x20 (v2, LOCAL), 0x00 (UNSPEC), length 0: a health check of the balancer's own (§2.2). */
    public static byte[] v2Local() {
        byte[] out = new byte[16];
        System.arraycopy(ProxyHeaderReader.V2_SIGNATURE, 0, out, 0, 12);
        out[12] = 0x20;
        return out;
    }

    /** Both addresses' bytes, of one family: 4 and 4, or 16 and 16 (IPv4 mapped when mixed). */
    private static byte[][] addresses(InetSocketAddress source, InetSocketAddress destination) {
        InetAddress s = ip(source, "source");
        InetAddress d = ip(destination, "destination");
        byte[] a = s.getAddress();
        byte[] b = d.getAddress();
        if (s instanceof Inet4Address && d instanceof Inet6Address) a = mapped(a);
        if (s instanceof Inet6Address && d instanceof Inet4Address) b = mapped(b);
        return new byte[][] {a, b};
    }

    private static InetAddress ip(InetSocketAddress a, String which) {
        if (a == null || a.getAddress() == null) throw new IllegalArgumentException(which + " must be a resolved address");
        return a.getAddress();
    }

    private static byte[] mapped(byte[] v4) {
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(v4, 0, out, 12, 4);
        return out;
    }

    private static String text(byte[] ip) {
        try {
            // Inet6Address.getByAddress keeps a mapped address IPv6 (InetAddress would turn it into IPv4)
            return Addresses.ip(ip.length == 4 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, -1));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }
}
