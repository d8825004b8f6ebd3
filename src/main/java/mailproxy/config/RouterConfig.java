package mailproxy.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/** A named router (mailproxy.routers.NAME): who decides which backend holds an account. */
public sealed interface RouterConfig {
    String name();

    /**
     * The embedded map: a user as written (lower-cased), else its domain, else the default.
     * Values are backend names, checked at startup.
     */
    record Static(String name, String defaultBackend, Map<String, String> domains, Map<String, String> users)
            implements RouterConfig {}

    /**
     * nginx's auth_http protocol. {@code backendTemplate} names a backend whose per-protocol
     * options (login style, ID, XCLIENT, SMTP AUTH) apply to the servers the auth server
     * returns; null means defaults. {@code passClientCert} sends the client certificate
     * (PEM, escaped) as Auth-SSL-Cert, like nginx's auth_http_pass_client_cert.
     */
    record AuthHttp(String name, URI url, Duration timeout, Map<String, String> headers,
                    int keepAlive, String backendTemplate, boolean passClientCert) implements RouterConfig {}
}
