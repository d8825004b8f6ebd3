package mailproxy.wire;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An address range such as "10.0.0.0/8", "2001:db8::/32", or one address ("127.0.0.1" is
 * /32, "::1" is /128). Parsed strictly, without DNS. An IPv4 range also holds the
 * IPv4-mapped IPv6 form of its addresses (::ffff:10.1.2.3, RFC 4291 §2.5.5.2), which is
 * how a dual-stack socket may report IPv4 peers; a range written in that form
 * (::ffff:10.0.0.0/104) is read as the IPv4 range it stands for.
 */
public final class Cidr {
    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /** @throws IllegalArgumentException with a message fit for a config error */
    public static Cidr parse(String text) {
        String t = text == null ? "" : text.trim();
        int slash = t.indexOf('/');
        String host = slash < 0 ? t : t.substring(0, slash);
        byte[] address = host.indexOf(':') >= 0 ? IpText.v6(host) : IpText.v4(host);
        if (address == null) {
            throw new IllegalArgumentException("expected an IP address or range such as \"10.0.0.0/8\" or \"2001:db8::/32\", got '"
                    + LogSafe.text(text) + "'");
        }
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(p) > bits || (p.length() > 1 && p.charAt(0) == '0')) {
                throw new IllegalArgumentException("expected a prefix length from 0 to " + bits + " after '/', got '"
                        + LogSafe.text(text) + "'");
            }
            prefix = Integer.parseInt(p);
        }
        byte[] masked = mask(address, prefix);
        if (!Arrays.equals(masked, address)) {
            // A typo in a trust list must not silently widen or move it: say what it means.
            throw new IllegalArgumentException("'" + LogSafe.text(text) + "' has bits set beyond the /" + prefix
                    + " prefix; the range is " + new Cidr(masked, prefix));
        }
        if (address.length == 16 && prefix >= 96 && isMapped(address)) {
            // ::ffff:10.0.0.0/104 is 10.0.0.0/8: Java reports such peers as IPv4 addresses
            return new Cidr(Arrays.copyOfRange(address, 12, 16), prefix - 96);
        }
        return new Cidr(address, prefix);
    }

    public boolean contains(InetAddress a) {
        if (a == null) return false;
        byte[] b = a.getAddress();
        if (b.length != network.length) {
            // only one way: ::/0 must not quietly take in every IPv4 client
            if (b.length == 16 && isMapped(b)) b = Arrays.copyOfRange(b, 12, 16);
            else return false;
        }
        return Arrays.equals(mask(b, prefix), network);
    }

    private static byte[] mask(byte[] a, int prefix) {
        byte[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            out[i] &= (byte) (0xff00 >> keep);
        }
        return out;
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }

    /** "10.0.0.0/8", "2001:db8::/32". */
    @Override
    public String toString() {
        try {
            return Addresses.ip(InetAddress.getByAddress(network)) + "/" + prefix;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }
}
