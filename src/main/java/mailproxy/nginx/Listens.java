package mailproxy.nginx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A server's listen directives (ngx_mail_core_listen), grouped into the mailproxy listeners
 * they become: TLS from the first byte and the PROXY protocol are per address in nginx but
 * per listener in mailproxy, so each (ssl, proxy_protocol) pair gets its own listener.
 */
final class Listens {
    private Listens() {}

    /** One usable listen: host as written ("*" when only a port was given), its flags. */
    record Address(String host, int port, boolean ssl, boolean proxyProtocol, boolean ipv6only, Directive from) {}

    /** The listener group key: (ssl, proxy_protocol). */
    record Group(boolean ssl, boolean proxyProtocol) {}

    static List<Address> read(List<Directive> listens, boolean sslDirective, Notes notes) {
        List<Address> out = new ArrayList<>();
        for (Directive d : listens) {
            Address a = address(d, sslDirective, notes);
            if (a != null) out.add(a);
        }
        return out;
    }

    private static Address address(Directive d, boolean sslDirective, Notes notes) {
        String text = d.arg(0);
        if (text.startsWith("unix:")) {
            notes.untranslated(d, "mailproxy listens on TCP only, not on UNIX-domain sockets");
            return null;
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || !text.startsWith("]:", close)) {
                notes.untranslated(d, "expected [address]:port");
                return null;
            }
            host = text.substring(0, close + 1);
            port = text.substring(close + 2);
        } else if (text.chars().allMatch(Character::isDigit)) {
            host = "*";
            port = text;
        } else if (text.lastIndexOf(':') > 0) {
            host = text.substring(0, text.lastIndexOf(':'));
            port = text.substring(text.lastIndexOf(':') + 1);
        } else {
            notes.untranslated(d, "no port: a mail listen needs address:port");
            return null;
        }
        int p = port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit) ? -1 : Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            notes.untranslated(d, "invalid port '" + port + "'");
            return null;
        }
        boolean ssl = sslDirective;
        boolean proxyProtocol = false;
        boolean ipv6only = true; // nginx's default for [::]
        for (String param : d.args().subList(1, d.args().size())) {
            String name = param.contains("=") ? param.substring(0, param.indexOf('=')) : param;
            switch (name) {
                case "ssl" -> ssl = true;
                case "proxy_protocol" -> proxyProtocol = true;
                case "ipv6only" -> ipv6only = !param.equals("ipv6only=off");
                case "bind" -> notes.ignored(d, "bind: mailproxy binds every listen address by itself");
                case "backlog" -> notes.ignored(d, param + ": mailproxy listens with a backlog of 1024 and takes"
                        + " a connection permit (max-connections) before accept()");
                case "rcvbuf", "sndbuf" -> notes.untranslated(d, param + ": mailproxy leaves socket buffer sizes to the OS");
                case "so_keepalive" -> notes.untranslated(d, param + ": mailproxy sets no TCP keepalive on client"
                        + " sockets (proxy-timeout closes idle sessions)");
                case "multipath" -> notes.untranslated(d, "multipath: the JDK has no Multipath TCP sockets");
                default -> notes.untranslated(d, param + ": not a listen parameter the import knows");
            }
        }
        return new Address(host, p, ssl, proxyProtocol, ipv6only, d);
    }

    /** The addresses of each listener to be, in the order the groups first appear. */
    static Map<Group, List<Address>> groups(List<Address> addresses) {
        Map<Group, List<Address>> out = new LinkedHashMap<>();
        for (Address a : addresses) out.computeIfAbsent(new Group(a.ssl(), a.proxyProtocol()), g -> new ArrayList<>()).add(a);
        return out;
    }

    /**
     * mailproxy's listen strings for one group. nginx's "*:port" (or a bare port) is IPv4's
     * any address and "[::]:port" is IPv6 only (ipv6only=on); the JVM binds "[::]" dual-stack.
     * Both together are exactly mailproxy's "*:port" (all addresses, IPv4 and IPv6), which
     * also avoids binding the IPv4 port twice.
     */
    static List<String> render(List<Address> group, Notes notes) {
        List<String> out = new ArrayList<>();
        for (Address a : group) {
            String s;
            if (isV4Any(a.host())) {
                s = hasV6Any(group, a.port()) ? "*:" + a.port() : "0.0.0.0:" + a.port();
            } else if (a.host().equals("[::]")) {
                if (group.stream().anyMatch(o -> isV4Any(o.host()) && o.port() == a.port())) continue;
                if (a.ipv6only()) {
                    notes.untranslated(a.from(), "the JVM binds [::] dual-stack, so this listener also takes IPv4"
                            + " clients (nginx: ipv6only=on); bind IPv4 elsewhere on this port and it clashes");
                    s = "[::]:" + a.port();
                } else {
                    s = "*:" + a.port();
                }
            } else if (group.stream().anyMatch(o -> o.port() == a.port()
                    && (o.host().equals("[::]") || (isV4Any(o.host()) && !a.host().startsWith("["))))) {
                notes.ignored(a.from(), "the any-address listen on port " + a.port() + " covers it (nginx then binds"
                        + " only that one too)");
                continue;
            } else {
                s = a.host() + ":" + a.port();
            }
            if (!out.contains(s)) out.add(s);
        }
        return out;
    }

    private static boolean isV4Any(String host) {
        return host.equals("*") || host.equals("0.0.0.0");
    }

    private static boolean hasV6Any(List<Address> group, int port) {
        return group.stream().anyMatch(o -> o.host().equals("[::]") && o.port() == port);
    }
}
