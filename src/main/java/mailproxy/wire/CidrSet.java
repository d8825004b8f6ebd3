package mailproxy.wire;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** A list of address ranges (trusted-proxies); an address is in it when any range holds it. */
public record CidrSet(List<Cidr> ranges) {
    public static final CidrSet EMPTY = new CidrSet(List.of());

    public CidrSet {
        ranges = List.copyOf(ranges);
    }

    /** @throws IllegalArgumentException naming the entry that is not a range */
    public static CidrSet parse(List<String> texts) {
        List<Cidr> out = new ArrayList<>(texts.size());
        for (String t : texts) out.add(Cidr.parse(t));
        return new CidrSet(out);
    }

    public boolean contains(InetAddress a) {
        for (Cidr c : ranges) if (c.contains(a)) return true;
        return false;
    }

    public boolean isEmpty() { return ranges.isEmpty(); }
}
