package mailproxy.nginx;

import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mailproxy.config.Protocol;

/** One server { } (merged with mail { }) as mailproxy listeners, its auth_http and backend options. */
final class ServerTranslator {
    private ServerTranslator() {}

    /** What a server becomes; {@code auth} is null when it has no auth_http. */
    record Result(Protocol protocol, List<Draft.Listener> listeners, Draft.AuthHttp auth, Map<String, String> backendOptions) {}

    /** nginx's well-known ports, by which it picks a protocol when none is set (ngx_mail_core_listen). */
    private static final Map<Integer, Protocol> PORTS = Map.of(143, Protocol.IMAP, 993, Protocol.IMAP,
            110, Protocol.POP3, 995, Protocol.POP3, 25, Protocol.SMTP, 465, Protocol.SMTP, 587, Protocol.SMTP);

    static Result translate(Directive server, Scope s, Path confPrefix, Notes notes) {
        Protocol protocol = protocol(server, s, notes);
        if (protocol == null) return null;
        Directive ssl = s.get("ssl");
        List<Listens.Address> addresses = Listens.read(Scope.named(s.server(), "listen"), ssl != null && ssl.arg(0).equals("on"), notes);
        if (addresses.isEmpty()) {
            notes.untranslated(server.where(), "server { }", "no listen address mailproxy can use: no listener made");
            return null;
        }
        for (Directive d : s.server()) {
            Protocol owner = ProtocolKeys.owner(d.name());
            if (owner != null && owner != protocol) notes.ignored(d, "applies to " + owner.id() + " servers; this one is " + protocol.id());
        }
        Map<String, String> common = new LinkedHashMap<>();
        ProtocolKeys.apply(s, protocol, notes, common);
        limits(s, notes, common);
        List<String> trusted = RealIp.trustedProxies(s, notes);
        List<Draft.Listener> listeners = new ArrayList<>();
        boolean anyProxyProtocol = false;
        for (Map.Entry<Listens.Group, List<Listens.Address>> g : Listens.groups(addresses).entrySet()) {
            List<String> listen = Listens.render(g.getValue(), notes);
            if (listen.isEmpty()) continue;
            LinkedHashMap<String, String> keys = new LinkedHashMap<>();
            keys.put("protocol", protocol.id());
            keys.put("listen", Values.quotedList(listen));
            keys.putAll(common);
            TlsKeys.apply(s, g.getKey().ssl(), confPrefix, notes, keys);
            if (g.getKey().proxyProtocol()) {
                anyProxyProtocol = true;
                keys.put("proxy-protocol", "true");
                if (!trusted.isEmpty()) keys.put("trusted-proxies", Values.quotedList(trusted));
                else notes.untranslated(g.getValue().get(0).from(), "nginx takes a PROXY header from any peer and,"
                        + " without set_real_ip_from, keeps the peer as the client; mailproxy takes PROXY headers"
                        + " only from trusted-proxies: list your balancers there");
            }
            listeners.add(new Draft.Listener(server.where() + " server { }", protocol, keys));
        }
        if (!anyProxyProtocol) {
            for (Directive d : s.all("set_real_ip_from")) notes.ignored(d, "no effect without proxy_protocol on listen (nginx too)");
        }
        return new Result(protocol, listeners, authHttp(server, s, notes), backendOptions(s, protocol));
    }

    /** protocol, else the first listen on a well-known port, as nginx decides. */
    private static Protocol protocol(Directive server, Scope s, Notes notes) {
        Directive p = null;
        for (Directive d : Scope.named(s.server(), "protocol")) p = d;
        if (p != null) {
            for (Protocol candidate : Protocol.values()) if (candidate.id().equals(p.arg(0))) return candidate;
            notes.untranslated(p, "unknown protocol: no listener made");
            return null;
        }
        for (Directive listen : Scope.named(s.server(), "listen")) {
            String a = listen.arg(0);
            String port = a.substring(a.lastIndexOf(':') + 1);
            if (!port.isEmpty() && port.length() <= 5 && port.chars().allMatch(Character::isDigit)) {
                Protocol guess = PORTS.get(Integer.parseInt(port));
                if (guess != null) return guess;
            }
        }
        notes.untranslated(server.where(), "server { }", "no protocol and no well-known port (nginx refuses it too):"
                + " no listener made");
        return null;
    }

    /** ngx_mail_core_module and ngx_mail_proxy_module timers and sizes, per listener. */
    private static void limits(Scope s, Notes notes, Map<String, String> keys) {
        time(s, "timeout", "timeout", notes, keys);
        Directive errors = s.get("max_errors");
        if (errors != null) {
            if (errors.arg(0).matches("[0-9]{1,6}")) keys.put("max-errors", errors.arg(0));
            else notes.untranslated(errors, "not a number");
        }
        time(s, "proxy_timeout", "proxy-timeout", notes, keys);
        Directive buffer = s.get("proxy_buffer");
        if (buffer != null) {
            long n = Values.bytes(buffer.arg(0));
            if (n < 0) notes.untranslated(buffer, "not an nginx size");
            else keys.put("relay-buffer-size", Values.size(n));
        }
    }

    private static void time(Scope s, String directive, String key, Notes notes, Map<String, String> keys) {
        Directive d = s.get(directive);
        if (d == null) return;
        long ms = Values.millis(d.arg(0));
        if (ms < 0) notes.untranslated(d, "not an nginx time");
        else keys.put(key, Values.duration(ms));
    }

    /** auth_http and its companions as an auth-http router's keys. */
    private static Draft.AuthHttp authHttp(Directive server, Scope s, Notes notes) {
        Directive url = s.get("auth_http");
        if (url == null) {
            notes.untranslated(server.where(), "server { }", "no auth_http (nginx refuses it too): its listeners have no router");
            return null;
        }
        String u = url.arg(0);
        if (u.startsWith("unix:")) {
            notes.untranslated(url, "mailproxy reaches auth servers over TCP (http://host:port/path) only");
        } else if (!u.startsWith("http://")) {
            if (u.contains("://")) notes.untranslated(url, "auth_http speaks plain http only (nginx too)");
            else u = "http://" + u;
        }
        if (u.startsWith("http://") && u.indexOf('/', 7) < 0) u = u + "/"; // nginx asks for "/" then
        Directive t = s.get("auth_http_timeout");
        String timeout = null;
        if (t != null) {
            long ms = Values.millis(t.arg(0));
            if (ms < 0) notes.untranslated(t, "not an nginx time");
            else timeout = Values.duration(ms);
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (Directive h : s.all("auth_http_header")) headers.add(new AbstractMap.SimpleImmutableEntry<>(h.arg(0), h.arg(1)));
        return new Draft.AuthHttp(u, timeout, List.copyOf(headers), s.on("auth_http_pass_client_cert", false));
    }

    /**
     * ngx_mail_proxy_module's backend side, as the backend-options section of this protocol:
     * XCLIENT (nginx's default is on), AUTH PLAIN to the SMTP backend (proxy_smtp_auth: nginx
     * sends "AUTH PLAIN" with the client's credentials), a PROXY v1 header (proxy_protocol).
     */
    private static Map<String, String> backendOptions(Scope s, Protocol p) {
        Map<String, String> keys = new LinkedHashMap<>();
        if (p == Protocol.SMTP) {
            keys.put("xclient", Boolean.toString(s.on("xclient", true)));
            if (s.on("proxy_smtp_auth", false)) keys.put("auth", "plain");
        }
        if (s.on("proxy_protocol", false)) keys.put("proxy-protocol", "v1");
        return keys;
    }
}
