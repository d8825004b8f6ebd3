package mailproxy.nginx;

import java.util.ArrayList;
import java.util.List;

/**
 * A server { } as nginx sees it after merging: a directive written in the server replaces
 * the mail { } one of the same name, all its occurrences together (ngx_conf_merge_*: the
 * server's array of ssl_certificate, auth_http_header or set_real_ip_from wins whole).
 */
final class Scope {
    private final List<Directive> mail;
    private final List<Directive> server;

    Scope(List<Directive> mail, List<Directive> server) {
        this.mail = mail;
        this.server = server;
    }

    /** Every occurrence of {@code name} in effect, in file order. */
    List<Directive> all(String name) {
        List<Directive> own = named(server, name);
        return own.isEmpty() ? named(mail, name) : own;
    }

    /** The occurrence in effect (the last one written), or null. */
    Directive get(String name) {
        List<Directive> all = all(name);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** The directive's first argument, or {@code fallback} when it is not set. */
    String value(String name, String fallback) {
        Directive d = get(name);
        return d == null || d.args().isEmpty() ? fallback : d.arg(0);
    }

    boolean on(String name, boolean fallback) {
        Directive d = get(name);
        return d == null ? fallback : d.arg(0).equals("on");
    }

    List<Directive> server() { return server; }

    static List<Directive> named(List<Directive> in, String name) {
        List<Directive> out = new ArrayList<>();
        for (Directive d : in) if (d.name().equals(name)) out.add(d);
        return out;
    }
}
