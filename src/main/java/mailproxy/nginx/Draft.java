package mailproxy.nginx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mailproxy.config.Protocol;

/**
 * The mailproxy config the import builds, before it is written out. Values are already HOCON
 * text (quoted strings, lists, durations), keyed by their mailproxy key, in writing order.
 */
record Draft(String serverName, List<Router> routers, Map<String, String> listenerDefaults,
             List<Listener> listeners, List<String> untranslated, List<String> ignored) {

    /** auth_http settings: one auth-http router per distinct set (with its backend options). */
    record AuthHttp(String url, String timeout, List<Map.Entry<String, String>> headers, boolean passClientCert) {}

    /**
     * An auth-http router and the backend whose per-protocol sections carry nginx's proxy
     * settings (xclient, proxy_smtp_auth, proxy_protocol) for the servers auth_http names.
     */
    record Router(String name, AuthHttp auth, Map<Protocol, Map<String, String>> backendOptions) {
        String backendName() { return name + "-options"; }
    }

    /** One listener; {@code origin} says which server { } it comes from. */
    record Listener(String origin, Protocol protocol, LinkedHashMap<String, String> keys) {}
}
