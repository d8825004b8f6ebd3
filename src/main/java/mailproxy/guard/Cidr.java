package mailproxy.guard;

import java.net.InetAddress;
import java.net.UnknownHostException;
import mailproxy.config.GuardConfig;

/** Address blocks: membership, and the network a client is counted as. */
final class Cidr {
    private Cidr() {}

    /** True when {@code a} lies in {@code n} (an IPv4 address is never in an IPv6 block). */
    static boolean contains(GuardConfig.Network n, InetAddress a) {
        byte[] net = n.address().getAddress();
        byte[] b = a.getAddress();
        if (net.length != b.length) return false;
        int bits = n.prefixLength();
        for (int i = 0; i < net.length && bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((net[i] & mask) != (b[i] & mask)) return false;
        }
        return true;
    }

    /**
     * The key a client is counted under: an IPv4 address as is, an IPv6 address as its
     * network of {@code v6Prefix} bits ("2001:db8:1:2:0:0:0:0/64"), since one customer holds
     * a whole /64 (RFC 6177) and would otherwise have 2^64 fresh counters. IPv4-mapped
     * addresses arrive as IPv4 (java.net converts them).
     */
    static String network(InetAddress a, int v6Prefix) {
        byte[] b = a.getAddress();
        if (b.length == 4 || v6Prefix >= 128) return a.getHostAddress();
        int bits = v6Prefix;
        for (int i = 0; i < b.length; i++, bits -= 8) {
            if (bits >= 8) continue;
            b[i] = (byte) (bits <= 0 ? 0 : b[i] & (0xff << (8 - bits)));
        }
        try {
            return InetAddress.getByAddress(b).getHostAddress() + "/" + v6Prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are an IPv6 address", e);
        }
    }
}
