package mailproxy.nginx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import mailproxy.config.Protocol;

/**
 * nginx's main context → a {@link Draft}: finds the one mail { } block, translates each of
 * its servers with the mail-level directives inherited, gives servers with the same
 * auth_http settings one router, and lifts keys every listener shares to listener-defaults.
 */
final class MailTranslator {
    private MailTranslator() {}

    /** Every directive of nginx's mail modules this import handles (translates or notes). */
    static final Set<String> KNOWN = known();

    private static Set<String> known() {
        Set<String> s = new HashSet<>(Set.of("listen", "protocol", "server_name", "timeout", "max_errors",
                "resolver", "resolver_timeout", "error_log", "auth_http", "auth_http_header",
                "auth_http_pass_client_cert", "auth_http_timeout", "proxy", "proxy_buffer",
                "proxy_pass_error_message", "proxy_protocol", "proxy_smtp_auth", "proxy_timeout", "xclient",
                "ssl", "ssl_certificate", "ssl_certificate_key", "starttls", "ssl_protocols", "ssl_verify_client",
                "ssl_client_certificate", "ssl_trusted_certificate", "ssl_ecdh_curve", "set_real_ip_from",
                "imap_auth", "imap_capabilities", "imap_client_buffer", "pop3_auth", "pop3_capabilities",
                "smtp_auth", "smtp_capabilities", "smtp_client_buffer", "smtp_greeting_delay"));
        s.addAll(TlsKeys.SESSION);
        s.addAll(TlsKeys.IGNORED.keySet());
        s.addAll(TlsKeys.UNTRANSLATED.keySet());
        return Set.copyOf(s);
    }

    /** Keys that stay on each listener even when all share them. */
    private static final Set<String> PER_LISTENER = Set.of("protocol", "listen", "router");

    static Draft translate(List<Directive> main, String file, Path confPrefix) {
        Notes notes = new Notes();
        Directive mail = null;
        for (Directive d : main) {
            if (d.name().equals("mail") && d.isBlock()) {
                if (mail != null) throw NginxConfigException.at(d.where(), "\"mail\" directive is duplicate");
                mail = d;
            } else {
                notes.ignored(d, outside(d.name()));
            }
        }
        if (mail == null) throw new NginxConfigException(file + ": no mail { } block");
        List<Directive> mailLevel = new ArrayList<>();
        List<Directive> servers = new ArrayList<>();
        for (Directive d : mail.children()) (d.name().equals("server") && d.isBlock() ? servers : mailLevel).add(d);
        unknown(mailLevel, notes);
        List<Draft.Listener> listeners = new ArrayList<>();
        List<RouterGroup> groups = new ArrayList<>();
        Map<Draft.Listener, RouterGroup> routed = new java.util.IdentityHashMap<>();
        for (Directive server : servers) {
            unknown(server.children(), notes);
            Scope scope = new Scope(mailLevel, server.children());
            misc(scope, notes);
            ServerTranslator.Result r = ServerTranslator.translate(server, scope, confPrefix, notes);
            if (r == null) continue;
            listeners.addAll(r.listeners());
            if (r.auth() == null) continue;
            RouterGroup g = group(groups, r);
            for (Draft.Listener l : r.listeners()) routed.put(l, g);
        }
        if (servers.isEmpty()) notes.untranslated(mail.where(), "mail { }", "no server { } in it: nothing to listen on");
        List<Draft.Router> routers = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            RouterGroup g = groups.get(i);
            g.name = i == 0 ? "auth" : "auth-" + (i + 1);
            routers.add(new Draft.Router(g.name, g.auth, g.sections));
        }
        List<Draft.Listener> named = new ArrayList<>();
        for (Draft.Listener l : listeners) {
            RouterGroup g = routed.get(l);
            named.add(routers.size() > 1 && g != null ? withRouter(l, g.name) : l);
        }
        Map<String, String> defaults = lift(named);
        return new Draft(serverName(mail, mailLevel, servers, notes), routers, defaults, named,
                notes.untranslated(), notes.ignored());
    }

    /** Servers that agree on auth_http share a router while their backend options do not clash. */
    private static final class RouterGroup {
        final Draft.AuthHttp auth;
        final Map<Protocol, Map<String, String>> sections = new java.util.EnumMap<>(Protocol.class);
        String name;

        RouterGroup(Draft.AuthHttp auth) { this.auth = auth; }
    }

    private static RouterGroup group(List<RouterGroup> groups, ServerTranslator.Result r) {
        for (RouterGroup g : groups) {
            Map<String, String> have = g.sections.get(r.protocol());
            if (g.auth.equals(r.auth()) && (have == null || have.equals(r.backendOptions()))) {
                g.sections.put(r.protocol(), r.backendOptions());
                return g;
            }
        }
        RouterGroup g = new RouterGroup(r.auth());
        g.sections.put(r.protocol(), r.backendOptions());
        groups.add(g);
        return g;
    }

    private static Draft.Listener withRouter(Draft.Listener l, String router) {
        LinkedHashMap<String, String> keys = new LinkedHashMap<>();
        l.keys().forEach((k, v) -> {
            keys.put(k, v);
            if (k.equals("listen")) keys.put("router", router);
        });
        return new Draft.Listener(l.origin(), l.protocol(), keys);
    }

    /** Keys with one value on every listener (two or more) move to listener-defaults. */
    private static Map<String, String> lift(List<Draft.Listener> listeners) {
        Map<String, String> defaults = new LinkedHashMap<>();
        if (listeners.size() < 2) return defaults;
        for (Map.Entry<String, String> e : listeners.get(0).keys().entrySet()) {
            if (PER_LISTENER.contains(e.getKey())) continue;
            if (listeners.stream().allMatch(l -> e.getValue().equals(l.keys().get(e.getKey())))) {
                defaults.put(e.getKey(), e.getValue());
            }
        }
        for (Draft.Listener l : listeners) l.keys().keySet().removeAll(defaults.keySet());
        return defaults;
    }

    /** mailproxy has one server-name; nginx may have one per server (default: the host name). */
    private static String serverName(Directive mail, List<Directive> mailLevel, List<Directive> servers, Notes notes) {
        List<Directive> top = Scope.named(mailLevel, "server_name");
        Directive chosen = top.isEmpty() ? null : top.get(top.size() - 1);
        for (Directive server : servers) {
            List<Directive> own = Scope.named(server.children(), "server_name");
            if (own.isEmpty()) continue;
            Directive d = own.get(own.size() - 1);
            if (chosen == null) chosen = d;
            else if (!d.arg(0).equals(chosen.arg(0))) {
                notes.untranslated(d, "mailproxy has one server-name for all listeners: \"" + chosen.arg(0) + "\" is used");
            }
        }
        if (chosen == null) {
            notes.untranslated(mail.where(), "mail { }", "no server_name: nginx uses this machine's host name,"
                    + " mailproxy's server-name is \"localhost\" unless set");
            return null;
        }
        return chosen.arg(0);
    }

    /** Directives that map to no key: said why once. */
    private static void misc(Scope s, Notes notes) {
        Directive pass = s.get("proxy_pass_error_message");
        if (pass != null && pass.arg(0).equals("on")) {
            notes.ignored(pass, "mailproxy passes an IMAP or POP3 backend's answer to the login on as it is");
        } else if (pass != null) {
            notes.untranslated(pass, "mailproxy passes an IMAP or POP3 backend's answer to the login on as it is;"
                    + " it cannot hide it");
        }
        Directive resolver = s.get("resolver");
        if (resolver != null && resolver.arg(0).equals("off")) {
            notes.ignored(resolver, "mailproxy does no reverse DNS either");
        } else if (resolver != null) {
            notes.untranslated(resolver, "mailproxy does no reverse DNS: auth_http gets Client-Host: [UNAVAILABLE]"
                    + " and SMTP backends XCLIENT NAME=[UNAVAILABLE]");
        }
        Directive d = s.get("resolver_timeout");
        if (d != null) notes.ignored(d, "mailproxy does no DNS lookups of clients");
        d = s.get("error_log");
        if (d != null) notes.ignored(d, "mailproxy logs to stderr (slf4j-simple), one line per session");
        d = s.get("proxy");
        if (d != null) notes.ignored(d, "has no effect in nginx either");
    }

    private static void unknown(List<Directive> level, Notes notes) {
        for (Directive d : level) {
            if (d.isBlock()) {
                if (!d.name().equals("server")) notes.untranslated(d, "not a block of nginx's mail modules");
            } else if (!KNOWN.contains(d.name())) {
                notes.untranslated(d, "not a directive of nginx's mail modules the import knows");
            }
        }
    }

    private static String outside(String name) {
        if (name.startsWith("worker_") || Stream.of("events", "thread_pool", "pcre_jit", "timer_resolution").anyMatch(name::equals)) {
            return "mailproxy is one JVM with a virtual thread per connection (max-connections bounds them)";
        }
        return switch (name) {
            case "error_log" -> "mailproxy logs to stderr (slf4j-simple), one line per session";
            case "http", "stream" -> "not part of mail { }";
            case "load_module" -> "mailproxy has its mail proxy built in";
            default -> "outside mail { }: not part of the mail proxy";
        };
    }
}
