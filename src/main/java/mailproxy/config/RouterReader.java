package mailproxy.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** mailproxy.routers: static maps and auth_http servers, backend names checked. */
final class RouterReader {
    private RouterReader() {}

    private enum Type { STATIC, AUTH_HTTP }

    static Map<String, RouterConfig> read(Section m, Map<String, Backend> backends) {
        Section all = m.section("routers");
        Map<String, RouterConfig> out = new LinkedHashMap<>();
        for (String name : m.entries("routers").keySet()) {
            Section r = all.section(name);
            RouterConfig rc = switch (r.oneOf("type", Type.class)) {
                case STATIC -> staticMap(r, name, backends);
                case AUTH_HTTP -> authHttp(r, name, backends);
            };
            r.rejectUnknownKeys();
            out.put(name, rc);
        }
        return out;
    }

    private static RouterConfig.Static staticMap(Section r, String name, Map<String, Backend> backends) {
        String def = r.has("default") ? r.string("default") : "";
        if (!def.isEmpty()) backend(r, "default", def, backends);
        Map<String, String> domains = r.has("domains") ? r.stringMap("domains") : Map.of();
        Map<String, String> users = r.has("users") ? r.stringMap("users") : Map.of();
        domains.forEach((k, v) -> backend(r, "domains." + k, v, backends));
        users.forEach((k, v) -> backend(r, "users." + k, v, backends));
        return new RouterConfig.Static(name, def, ConfigLoader.lowerKeys(domains), ConfigLoader.lowerKeys(users));
    }

    private static RouterConfig.AuthHttp authHttp(Section r, String name, Map<String, Backend> backends) {
        String text = r.string("url");
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw r.error("url", "expected an http:// URL, got '" + text + "'");
        }
        if (!"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
            throw r.error("url", "expected an http://host[:port]/path URL, got '" + text + "'");
        }
        Duration timeout = r.has("timeout") ? r.duration("timeout", Duration.ofMillis(10)) : Duration.ofSeconds(60);
        Map<String, String> headers = r.has("headers") ? headers(r) : Map.of();
        int keepAlive = r.has("keepalive") ? r.integer("keepalive", 0, 10_000) : 16;
        String template = r.has("backend-options") ? r.string("backend-options") : null;
        if (template != null) backend(r, "backend-options", template, backends);
        boolean passClientCert = r.has("pass-client-cert") && r.bool("pass-client-cert");
        return new RouterConfig.AuthHttp(name, url, timeout, headers, keepAlive, template, passClientCert, limit(r));
    }

    /** max-concurrent, queue, queue-timeout (README, "Reconnect storms"). */
    private static RouterConfig.CallLimit limit(Section r) {
        RouterConfig.CallLimit d = RouterConfig.CallLimit.DEFAULT;
        return new RouterConfig.CallLimit(
                r.has("max-concurrent") ? r.integer("max-concurrent", 1, 100_000) : d.maxConcurrent(),
                r.has("queue") ? r.integer("queue", 0, 1_000_000) : d.queue(),
                r.has("queue-timeout") ? r.duration("queue-timeout", Duration.ofMillis(1)) : d.queueTimeout());
    }

    /**
     * Extra request headers, in the order of their lines in the file (HOCON objects are
     * unordered; names on one line go alphabetically); names are HTTP tokens, values one line.
     */
    private static Map<String, String> headers(Section r) {
        Map<String, String> unordered = r.stringMap("headers");
        Map<String, com.typesafe.config.ConfigValue> values = r.entries("headers");
        Map<String, String> headers = new LinkedHashMap<>();
        unordered.keySet().stream()
                .sorted(java.util.Comparator.<String>comparingInt(k -> values.get(k).origin().lineNumber())
                        .thenComparing(java.util.Comparator.naturalOrder()))
                .forEach(k -> headers.put(k, unordered.get(k)));
        headers.forEach((k, v) -> {
            if (!k.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw r.error("headers", "'" + k + "' is not an HTTP header name (RFC 9110 §5.1: letters, digits, -)");
            }
            if (v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw r.error("headers", "the value of " + k + " holds a control character");
            }
        });
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    private static void backend(Section r, String key, String name, Map<String, Backend> backends) {
        if (!backends.containsKey(name)) {
            throw r.error(key.contains(".") ? null : key,
                    "no backend named '" + name + "' in mailproxy.backends (at " + key + ")");
        }
    }
}
