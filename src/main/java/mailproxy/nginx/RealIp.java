package mailproxy.nginx;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** ngx_mail_realip_module: set_real_ip_from as a listener's trusted-proxies ranges. */
final class RealIp {
    private RealIp() {}

    static List<String> trustedProxies(Scope s, Notes notes) {
        List<String> out = new ArrayList<>();
        for (Directive d : s.all("set_real_ip_from")) {
            String v = d.arg(0);
            if (v.equals("unix:")) {
                notes.untranslated(d, "mailproxy has no UNIX-domain listeners");
                continue;
            }
            String range = range(v);
            if (range == null) {
                notes.untranslated(d, "mailproxy takes IP addresses and CIDR ranges, not host names");
                continue;
            }
            if (!range.equals(v)) notes.ignored(d, "written as " + range + ": nginx ignores the bits past the prefix too");
            out.add(range);
        }
        return out;
    }

    /**
     * {@code v} when it is an address or a clean CIDR range; the range with the host bits
     * cleared when some are set (nginx warns and clears them, ngx_ptocidr); null for a name.
     * Only IP literals reach InetAddress, so no DNS lookup happens.
     */
    static String range(String v) {
        int slash = v.indexOf('/');
        String host = slash < 0 ? v : v.substring(0, slash);
        boolean v4 = host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean v6 = host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) return null;
        if (v4) for (String octet : host.split("\\.")) if (Integer.parseInt(octet) > 255) return null;
        byte[] a;
        try {
            a = InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
        if (slash < 0) return v;
        String p = v.substring(slash + 1);
        if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > a.length * 8) return null;
        int prefix = Integer.parseInt(p);
        boolean changed = false;
        for (int i = 0; i < a.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            byte masked = (byte) (a[i] & (0xff << (8 - keep)));
            if (masked != a[i]) changed = true;
            a[i] = masked;
        }
        if (!changed) return v;
        try {
            return InetAddress.getByAddress(a).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
